"""The threshold engine: a versioned rule set that turns a child's facts into a level, a route
and the reasons, in words a social worker understands.

Rules are data (``mash/rules/default.yaml``): an id, a level, a reason template, a condition in
CEL (the Common Expression Language: no Python eval, no side effects, always terminates) and the
published guidance it follows. The engine adds the decision semantics the hub must never lose,
whatever a rules file says:

* the highest level fired wins, and every rule that fired is listed with its reason and the
  facts it used (its evidence); nothing fired means the rule set's default level;
* a child with a child protection plan or who is looked after (social care status, or the
  health CP-IS flag) is never routed below assessment;
* missing information never lowers a route: when any agency's records could not be checked,
  a child who would go to caf or universal goes to assessment instead, flagged
  CHECKS_INCOMPLETE;
* caf is voluntary early help: without the family's consent it is flagged CONSENT_NEEDED;
* a child whose records matched only POSSIBLY is flagged IDENTITY_UNCERTAIN;
* when the referrer asked for more than the rules give (a request the rules file's
  ``step_down`` section maps to a higher level), the route stands and the decision carries
  ``STEP_DOWN:<asked route>``: stepping a professional's request down is a manager's decision
  on the record, never a silent one;
* every concern category read in the narrative is flagged ``NARRATIVE_CONCERN:<category>``.

Speed: every rule is compiled into one CEL program, and specialised per combination of the
facts that take few values (:mod:`mash.domain.conditions`), so a typical child needs no CEL
call at all. :meth:`RuleSet.reference_hits` runs the plain program, for tests and diagnosis.
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Final, cast

from mash.domain.codes import (
    FLAG_CHECKS_INCOMPLETE,
    FLAG_CONSENT_NEEDED,
    FLAG_IDENTITY_UNCERTAIN,
    FLAG_NARRATIVE_CONCERN,
    FLAG_STEP_DOWN,
    SUPPORT_REQUESTS,
)
from mash.domain.conditions import (
    Part,
    Specialiser,
    booleans,
    compile_condition,
    condition_names,
    condition_parts,
)
from mash.domain.decision import FiredRule
from mash.domain.facts import CHECK_PREFIXES, FACTS, default_facts
from mash.domain.narrative import NO_CONCERNS, NarrativePolicy, NarrativeScan
from mash.domain.narrative import policy_from_mapping as narrative_from_mapping
from mash.domain.narrative import scan as scan_narrative
from mash.domain.routes import Route
from mash.domain.screening import ScreeningPolicy, policy_from_mapping, screen
from mash.errors import RuleError

ROUTE_RANK: Final[Mapping[str, int]] = {route: route.rank for route in reversed(Route.ordered())}
"""``Route.rank`` by route text, least intensive first (the order the ``levels`` errors name
the routes in); kept for ``mash.rules.corpus`` and the rule tests, which look routes up here."""

ENGINE_PROTECTED: Final = "engine.known-cp-or-looked-after"
ENGINE_CHECKS_INCOMPLETE: Final = "engine.checks-incomplete"

_PROTECTED_STATUSES: Final = frozenset({"CP_PLAN", "LOOKED_AFTER"})
_PROTECTED_CPIS: Final = frozenset({"CP_PLAN", "LOOKED_AFTER", "UNBORN_CP_PLAN"})
_RULE_KEYS: Final = frozenset({"id", "level", "reason", "when", "guidance"})
_TOP_KEYS: Final = frozenset(
    {
        "name",
        "description",
        "levels",
        "default_level",
        "screening",
        "step_down",
        "rules",
        "narrative",
    }
)
_AVAILABLE: Final = {kind: f"{prefix}_available" for kind, prefix in CHECK_PREFIXES.items()}
_RULE_ID: Final = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ENUM_WORD: Final = re.compile(r"^[A-Z][A-Z_]*$")


# --------------------------------------------------------------------------- types


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with a rule set: an ``error`` stops it loading, a ``warning`` does not."""

    where: str
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Template:
    """A reason template parsed once: literal text and the facts it interpolates."""

    source: str
    parts: tuple[tuple[str, str | None, str], ...]
    # Most reasons interpolate nothing: their text, joined once (``{{`` already unescaped).
    constant: str | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        fixed = all(name is None for _, name, _ in self.parts)
        text = "".join(literal for literal, _, _ in self.parts) if fixed else None
        object.__setattr__(self, "constant", text)

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(name for _, name, _ in self.parts if name is not None)

    def render(self, facts: Mapping[str, Any]) -> str:
        """The reason in words; lists, booleans and codes read as plain English."""
        if self.constant is not None:
            return self.constant
        out: list[str] = []
        for literal, name, spec in self.parts:
            out.append(literal)
            if name is not None:
                out.append(_show(facts[name], spec))
        return "".join(out)


@dataclass(frozen=True, slots=True)
class Rule:
    """One threshold rule. ``uses`` lists the facts its condition and reason read: exactly
    the evidence a decision records when it fires. ``parts`` is the condition's source split
    into pieces, with fact references marked, for specialisation."""

    id: str
    level: int
    reason: Template
    when: str
    guidance: str
    uses: tuple[str, ...]
    reads: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()

    def fire(self, facts: Mapping[str, Any]) -> FiredRule:
        """This rule as fired for one child: reason filled in, evidence attached."""
        evidence = {name: facts[name] for name in self.uses}
        for name, value in evidence.items():
            if isinstance(value, list):  # a copy: the evidence must not alias the facts
                evidence[name] = list(value)
        return FiredRule(self.id, self.level, self.reason.render(facts), evidence)

    def specialised(self, literals: Mapping[str, str]) -> str:
        """The condition with the facts in ``literals`` replaced by those CEL literals."""
        return "".join(literals.get(name, text) if name else text for text, name in self.parts)


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the rules say about one child. ``facts`` is the complete set the rules saw
    (including the domestic abuse screening): the one to log as ``Decision.facts``."""

    level: int
    fired: tuple[FiredRule, ...]
    route: Route
    flags: tuple[str, ...] = ()
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(rule.id for rule in self.fired)


# --------------------------------------------------------------------------- helpers


def _word_of(value: Any) -> str:
    text = str(value)
    return text.lower().replace("_", " ") if _ENUM_WORD.match(text) else text


# Cached: reasons repeat the same few hundred codes and enum words for every child.
# ``typed``: 1 and True are equal keys but read differently.
_cached_word = lru_cache(maxsize=4096, typed=True)(_word_of)


def _word(value: Any) -> str:
    try:
        return _cached_word(value)
    except TypeError:  # unhashable (a list inside a list): not worth caching
        return _word_of(value)


def _show(value: Any, spec: str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(map(_word, value)) or "none"
    if spec:
        return format(value, spec)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _word(value) if isinstance(value, str) else str(value)


def parse_template(source: str) -> Template:
    """Parse a reason template; ``{fact}`` or ``{fact:format}`` only (no attribute access)."""
    parts = []
    try:
        for literal, name, spec, conversion in string.Formatter().parse(source):
            if name is not None and (not name.isidentifier() or conversion):
                raise RuleError(f"reason field {{{name}}} must be a plain fact name")
            parts.append((literal, name, spec or ""))
    except ValueError as exc:
        raise RuleError(f"reason template is malformed: {exc}") from exc
    return Template(source, tuple(parts))


def probe_facts() -> list[dict[str, Any]]:
    """Children to try every condition on at load time, so a type error (``age_months <
    'six'``) is found by ``mash rules check`` rather than by the first real child: one of whom
    nothing is known, and one where every fact is set (so short-circuits don't hide a branch)."""
    everything = {name: _probe_value(spec.type) for name, spec in FACTS.items()}
    return [default_facts(), everything]


def _probe_value(kind: type) -> Any:
    return {bool: True, int: 5, float: 50.0, str: "X", list: ["X"]}[kind]


# --------------------------------------------------------------------------- the rule set


class RuleSet:
    """A compiled rule set: ``evaluate(facts) -> Outcome``. Build it with
    :meth:`from_mapping` (or :func:`mash.rules.load_rules` from a file)."""

    __slots__ = (
        "_fast",
        "_inputs",
        "_program",
        "assessment_level",
        "default_level",
        "description",
        "levels",
        "name",
        "narrative",
        "rules",
        "screening",
        "step_down",
        "version",
    )

    def __init__(
        self,
        *,
        version: str,
        rules: Sequence[Rule],
        levels: Mapping[int, Route],
        default_level: int,
        screening: ScreeningPolicy,
        step_down: Mapping[str, int] | None = None,
        narrative: NarrativePolicy | None = None,
        name: str = "",
        description: str = "",
    ) -> None:
        self.version = version
        self.narrative = narrative
        self.step_down: dict[str, int] = dict(step_down or {})
        self.name = name
        self.description = description
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.levels: dict[int, Route] = {n: Route(route) for n, route in sorted(levels.items())}
        self.default_level = default_level
        self.screening = screening
        self.assessment_level = min(
            level for level, route in self.levels.items() if route is Route.ASSESSMENT
        )
        self._inputs: tuple[str, ...] = tuple(sorted({n for r in self.rules for n in r.uses}))
        self._program = compile_condition(
            "[" + ",\n".join(f"({rule.when})" for rule in self.rules) + "]"
        )
        self._fast = Specialiser(self.rules)

    def __repr__(self) -> str:
        return f"RuleSet(name={self.name!r}, version={self.version!r}, rules={len(self.rules)})"

    # ---------------------------------------------------------------- building

    @classmethod
    def from_mapping(cls, data: Any, version: str) -> RuleSet:
        """Build from a parsed rules file; raises :class:`RuleError` listing every error."""
        rule_set, problems = inspect_rule_set(data, version)
        errors = [problem for problem in problems if problem.severity == "error"]
        if rule_set is None or errors:
            shown = "; ".join(map(str, errors[:5]))
            more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
            raise RuleError(f"rule set {version} is not valid: {shown}{more}")
        return rule_set

    # ---------------------------------------------------------------- evaluating

    def read_narrative(self, text: str | None) -> NarrativeScan:
        """The concern categories of a referral's free text under this rule set's lexicon
        (once per referral: every child of it shares the result). Without a ``narrative``
        section nothing is read."""
        if self.narrative is None:
            return NO_CONCERNS
        return scan_narrative(text, self.narrative)

    def route_for(self, level: int) -> Route:
        """The route (queue) of a level, from the rules file's mapping."""
        try:
            return self.levels[level]
        except KeyError:
            raise RuleError(f"level {level} has no route in rule set {self.version}") from None

    def evaluate(self, facts: Mapping[str, Any]) -> Outcome:
        """Decide one child: screen, run every rule at once, apply the safety semantics."""
        seen = dict(facts)
        try:
            seen.update(screen(seen, self.screening).as_facts())
            fired = [self.rules[index].fire(seen) for index in self._fired(seen)]
            level = max((rule.level for rule in fired), default=self.default_level)
            level, safety, flags = self._safety(seen, level)
        except KeyError:
            raise self._missing(seen) from None
        return Outcome(level, (*fired, *safety), self.route_for(level), flags, seen)

    def reference_hits(self, facts: Mapping[str, Any]) -> list[bool]:
        """Every rule's condition by the plain, unspecialised program: slower, and the
        yardstick the fast path is tested against. ``facts`` must include the screening."""
        try:
            variables = {name: facts[name] for name in self._inputs}
        except KeyError:
            raise self._missing(facts) from None
        try:
            return booleans(self._program.execute(variables), self.rules)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise self._diagnose(variables, exc) from exc

    def _missing(self, facts: Mapping[str, Any]) -> RuleError:
        needed = {name for name, spec in FACTS.items() if not spec.derived}
        missing = sorted(needed - facts.keys())
        return RuleError(f"facts are missing {', '.join(missing) or 'a fact'}")

    def cache_sizes(self) -> dict[str, int]:
        """Sizes of the fast path's caches: to see in a benchmark that they stay small."""
        return self._fast.sizes()

    def _fired(self, facts: Mapping[str, Any]) -> list[int]:
        try:
            return self._fast.fired(facts)
        except (RuntimeError, TypeError, ValueError) as exc:
            raise self._diagnose(facts, exc) from exc

    def _diagnose(self, facts: Mapping[str, Any], exc: Exception) -> RuleError:
        """Find which rule broke, so the error names it (facts carry no personal data, but the
        message still names only the rule and the kind of failure)."""
        for rule in self.rules:
            try:
                compile_condition(rule.when).execute({n: facts[n] for n in rule.reads})
            except (RuntimeError, TypeError, ValueError) as inner:
                return RuleError(
                    f"rule {rule.id} could not be evaluated "
                    f"({type(inner).__name__}): {str(inner)[:160]}"
                )
        return RuleError(f"rule set {self.version} could not be evaluated: {str(exc)[:160]}")

    def _safety(
        self, facts: Mapping[str, Any], level: int
    ) -> tuple[int, list[FiredRule], tuple[str, ...]]:
        """The decision semantics no rules file can remove (see the module docstring)."""
        floor = self.assessment_level
        extra: list[FiredRule] = []
        flags: list[str] = []
        if level < floor and _protected(facts):
            extra.append(_protected_rule(facts, floor))
            level = floor
        unavailable = [kind for kind, available in _AVAILABLE.items() if not facts[available]]
        if unavailable:
            flags.append(FLAG_CHECKS_INCOMPLETE)
            if level < floor:
                extra.append(_incomplete_rule(unavailable, floor))
                level = floor
        if facts["identity_uncertain"]:
            flags.append(FLAG_IDENTITY_UNCERTAIN)
        route = self.route_for(level)
        if route is Route.CAF and facts["consent"] != "GIVEN":
            flags.append(FLAG_CONSENT_NEEDED)
        asked = self.step_down.get(facts["support_requested"])
        if asked is not None and self.route_for(asked).rank > route.rank:
            flags.append(f"{FLAG_STEP_DOWN}:{self.route_for(asked)}")
        flags += [f"{FLAG_NARRATIVE_CONCERN}:{c}" for c in facts["narrative_concerns"]]
        return level, extra, tuple(flags)


def _protected(facts: Mapping[str, Any]) -> bool:
    return (
        facts["social_care_status"] in _PROTECTED_STATUSES
        or facts["health_cpis_flag"] in _PROTECTED_CPIS
    )


def _protected_rule(facts: Mapping[str, Any], floor: int) -> FiredRule:
    status, cpis = facts["social_care_status"], facts["health_cpis_flag"]
    return FiredRule(
        ENGINE_PROTECTED,
        floor,
        f"Already has a child protection plan or is looked after (social care: {_word(status)}, "
        f"CP-IS: {_word(cpis)}): never routed below assessment, and the allocated social "
        "worker must hear of this referral.",
        {"social_care_status": status, "health_cpis_flag": cpis},
    )


def _incomplete_rule(unavailable: list[str], floor: int) -> FiredRule:
    return FiredRule(
        ENGINE_CHECKS_INCOMPLETE,
        floor,
        f"Records could not be checked with {', '.join(unavailable)}: routed to assessment "
        "until they are, because missing information must never lower a route.",
        {f"{CHECK_PREFIXES[kind]}_available": False for kind in unavailable},
    )


# --------------------------------------------------------------------------- validation


def inspect_rule_set(data: Any, version: str) -> tuple[RuleSet | None, list[Problem]]:
    """Check a parsed rules file and build it if it has no errors.

    Finds what ``mash rules check`` reports: unknown or missing keys, conditions that do not
    compile, names that are not facts, conditions that fail or do not give true/false on probe
    children, duplicate ids, levels without a route, mapped levels no rule can reach, routes
    that go down as levels go up, and (as warnings) sentinel numbers read without their guard.
    """
    if not isinstance(data, Mapping):
        return None, [Problem("file", "a rule set must be a mapping at the top level")]
    problems = [
        Problem("file", f"unknown key {key!r}") for key in sorted(set(data) - _TOP_KEYS, key=str)
    ]
    levels, level_problems = _levels(data.get("levels"))
    problems += level_problems
    default_level = data.get("default_level")
    if default_level not in levels:
        problems.append(Problem("default_level", "must be one of the mapped levels"))
    screening, screening_problems = _screening(data.get("screening"))
    problems += screening_problems
    rules, rule_problems = _rules(data.get("rules"), levels)
    problems += rule_problems
    step_down, step_problems = _step_down(data.get("step_down"), levels)
    problems += step_problems
    narrative, narrative_problems = _narrative(data.get("narrative"))
    problems += narrative_problems
    problems += _reachability(rules, levels, default_level)
    if any(problem.severity == "error" for problem in problems) or screening is None:
        return None, problems
    rule_set = RuleSet(
        version=version,
        rules=rules,
        levels=levels,
        default_level=cast(int, default_level),
        screening=screening,
        step_down=step_down,
        narrative=narrative,
        name=str(data.get("name", "")),
        description=str(data.get("description", "")),
    )
    return rule_set, problems


def _levels(raw: Any) -> tuple[dict[int, Route], list[Problem]]:
    if not isinstance(raw, Mapping) or not raw:
        return {}, [Problem("levels", "must map each level number to a route")]
    levels: dict[int, Route] = {}
    problems = []
    for level, route in raw.items():
        if isinstance(level, bool) or not isinstance(level, int):
            problems.append(Problem("levels", f"level {level!r} is not a whole number"))
        elif Route.parse(route) is None:
            problems.append(
                Problem(
                    "levels",
                    f"level {level} maps to unknown route {route!r} "
                    f"(routes: {', '.join(ROUTE_RANK)})",
                )
            )
        else:
            levels[level] = Route(route)
    ordered = sorted(levels.items())
    for (low, low_route), (high, high_route) in itertools.pairwise(ordered):
        if high_route.rank < low_route.rank:
            problems.append(
                Problem(
                    "levels",
                    f"level {high} ({high_route}) routes lower than level {low} ({low_route})",
                )
            )
    if Route.ASSESSMENT not in levels.values():
        problems.append(
            Problem(
                "levels",
                "no level routes to assessment (the floor for "
                "children on a plan and for incomplete checks)",
            )
        )
    return levels, problems


def _step_down(raw: Any, levels: Mapping[int, Route]) -> tuple[dict[str, int], list[Problem]]:
    """``step_down``: what each referrer request asks for, as a level. Optional: without it no
    decision is flagged STEP_DOWN."""
    if raw is None:
        return {}, []
    if not isinstance(raw, Mapping):
        return {}, [Problem("step_down", "must map each request to the level it asks for")]
    found: dict[str, int] = {}
    problems = []
    for request, level in raw.items():
        if request not in SUPPORT_REQUESTS:
            choices = ", ".join(sorted(SUPPORT_REQUESTS))
            problems.append(Problem("step_down", f"unknown request {request!r} ({choices})"))
        elif isinstance(level, bool) or level not in levels:
            problems.append(Problem("step_down", f"{request}: level {level!r} has no route"))
        else:
            found[request] = level
    return found, problems


def _narrative(raw: Any) -> tuple[NarrativePolicy | None, list[Problem]]:
    """``narrative``: the lexicon of raise-only concern flags. Optional: without it the
    narrative raises nothing."""
    if raw is None:
        return None, []
    try:
        return narrative_from_mapping(raw), []
    except RuleError as exc:
        return None, [Problem("narrative", str(exc))]


def _screening(raw: Any) -> tuple[ScreeningPolicy | None, list[Problem]]:
    if not isinstance(raw, Mapping) or "domestic_abuse" not in raw:
        return None, [Problem("screening", "needs a domestic_abuse section")]
    try:
        return policy_from_mapping(raw["domestic_abuse"]), []
    except RuleError as exc:
        return None, [Problem("screening", str(exc))]


def _rules(raw: Any, levels: Mapping[int, Route]) -> tuple[list[Rule], list[Problem]]:
    if not isinstance(raw, list) or not raw:
        return [], [Problem("rules", "must be a non-empty list")]
    rules: list[Rule] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for number, item in enumerate(raw, 1):
        rule, found = _rule(item, number, levels)
        if rule is not None and rule.id in seen:
            found.append(Problem(f"rule {rule.id}", "duplicate id"))
        if rule is not None:
            seen.add(rule.id)
            rules.append(rule)
        problems += found
    return rules, problems


def _rule(item: Any, number: int, levels: Mapping[int, Route]) -> tuple[Rule | None, list[Problem]]:
    if not isinstance(item, Mapping):
        return None, [Problem(f"rule #{number}", "must be a mapping")]
    where = f"rule {item.get('id', f'#{number}')}"
    problems = [Problem(where, f"missing {key}") for key in sorted(_RULE_KEYS - item.keys())]
    problems += [
        Problem(where, f"unknown key {key!r}") for key in sorted(set(item) - _RULE_KEYS, key=str)
    ]
    if problems:
        return None, problems
    rule_id, level, when = item["id"], item["level"], item["when"]
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        problems.append(Problem(where, "id must be lower-case letters, digits, '.', '-', '_'"))
    if isinstance(level, bool) or level not in levels:
        problems.append(Problem(where, f"level {level!r} has no route in levels"))
    if not isinstance(item["guidance"], str) or not item["guidance"].strip():
        problems.append(Problem(where, "guidance must cite the published guidance it follows"))
    if not isinstance(when, str) or not isinstance(item["reason"], str):
        return None, [*problems, Problem(where, "when and reason must be text")]
    try:
        program = compile_condition(when)
        template = parse_template(item["reason"])
    except RuleError as exc:
        return None, [*problems, Problem(where, str(exc))]
    reads, unknown, shadowing = condition_names(program, when)
    problems += [Problem(where, f"unknown fact {name!r} in condition") for name in sorted(unknown)]
    problems += [
        Problem(where, f"macro variable {name!r} hides the fact of that name")
        for name in sorted(shadowing)
    ]
    problems += [
        Problem(where, f"unknown fact {name!r} in reason")
        for name in template.fields
        if name not in FACTS
    ]
    if problems:
        return None, problems
    uses = tuple(sorted(reads | set(template.fields)))
    rule = Rule(
        rule_id,
        level,
        template,
        when,
        item["guidance"].strip(),
        uses,
        tuple(sorted(reads)),
        condition_parts(when),
    )
    return rule, _probe(rule, program) + _guards(rule, reads)


def _probe(rule: Rule, program: Any) -> list[Problem]:
    where = f"rule {rule.id}"
    for facts in probe_facts():
        try:
            result = program.execute({name: facts[name] for name in rule.reads})
            rule.reason.render(facts)
        except (RuntimeError, TypeError, ValueError) as exc:
            return [
                Problem(
                    where,
                    f"fails on a probe child ({type(exc).__name__}): "
                    f"{str(exc).splitlines()[0][:160]}",
                )
            ]
        if not isinstance(result, bool):
            return [Problem(where, f"condition gives {type(result).__name__}, not true/false")]
    return []


def _guards(rule: Rule, reads: Iterable[str]) -> list[Problem]:
    warnings = []
    for name in sorted(reads):
        guard = FACTS[name].guard
        if guard is not None and guard not in reads:
            warnings.append(
                Problem(
                    f"rule {rule.id}",
                    f"reads {name} without {guard}: {name} is {FACTS[name].default} when not known",
                    "warning",
                )
            )
    return warnings


def _reachability(
    rules: Sequence[Rule], levels: Mapping[int, Route], default_level: Any
) -> list[Problem]:
    produced = {rule.level for rule in rules} | {default_level}
    return [
        Problem("levels", f"level {level} ({route}) is unreachable: no rule gives it")
        for level, route in levels.items()
        if level not in produced
    ]
