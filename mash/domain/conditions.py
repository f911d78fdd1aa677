"""CEL conditions: compiling them, reading their sources, and the specialised fast path.

Rules are written in CEL (the Common Expression Language: no Python eval, no side effects,
always terminates; the ``common-expression-language`` package, imported only here). This
module knows CEL; :mod:`mash.domain.thresholds` knows what the rules mean.

Speed. Turning a Python dict into CEL values costs far more than evaluating a condition (about
0.3 µs per variable, 1.5 µs per string, more per list), and evaluating 70 conditions for every
child costs again. But most facts of most children take one of a few values (booleans, codes,
enum strings, code lists), so the rules are *specialised*: for a combination of those
categorical facts every condition is rewritten with them as literals, and CEL folds it to true
or false at once when it can; the few that still depend on continuous facts (ages, counts,
percentages) stay live and are evaluated per child, with only those facts converted. To keep
the combinations few, rules that read the same facts form a *group*, and groups join the
*partition* of their primary fact (concern codes, health indicators, DASH risk, flags ...);
each partition caches its plans keyed by its own facts. On 24,000 generated children this
gives 10 partitions and about 850 plans; a typical child costs one small vector, ten dict
lookups and at most one or two tiny CEL calls. The results are exactly those of the plain
program (a property test checks it on random facts).
"""

from __future__ import annotations

import contextlib
import json
import operator
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Protocol, cast

import cel

from mash.domain.facts import FACTS
from mash.errors import RuleError

_BOUND: Final = re.compile(
    r"\.\s*(?:all|exists|exists_one|map|filter)\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,"
)
_TOKEN: Final = re.compile(
    r"""(?P<string>[rRbB]{0,2}(?:'''(?:\\.|[^\\])*?'''|\"\"\"(?:\\.|[^\\])*?\"\"\"
                     |'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
       |(?P<ident>[A-Za-z_][A-Za-z0-9_]*)
       |(?P<space>\s+)
       |(?P<other>.)""",
    re.VERBOSE | re.DOTALL,
)
_CACHE_SIZE: Final = 65_536
_BOOL: Final = frozenset({bool})

Part = tuple[str, str | None]
"""A piece of a condition's source, and the fact it names if it is a reference to one."""


class Condition(Protocol):
    """What the specialiser needs of a rule: the facts its condition reads and its source
    with some facts written in as literals."""

    @property
    def reads(self) -> tuple[str, ...]: ...

    def specialised(self, literals: Mapping[str, str]) -> str: ...


# --------------------------------------------------------------------------- CEL source


def compile_condition(when: str) -> Any:
    """Compile one CEL condition, translating the library's error."""
    try:
        return cel.compile(when)
    except (ValueError, RuntimeError, TypeError) as exc:
        first = (str(exc).splitlines() or ["unknown error"])[0]
        detail = first.split("ERROR: ", 1)[-1]  # drop the library's echo of the source
        raise RuleError(f"condition does not compile: {detail[:200]}") from exc


def condition_names(program: Any, when: str) -> tuple[set[str], set[str], set[str]]:
    """(facts read, names that are neither facts nor bound by a macro such as ``exists``,
    macro variables that shadow a fact)."""
    names = set(program.variables())
    bound = set(_BOUND.findall(when))
    return names & FACTS.keys() - bound, names - FACTS.keys() - bound, bound & FACTS.keys()


def condition_parts(when: str) -> tuple[Part, ...]:
    """Split a condition into pieces, marking each identifier that refers to a fact (not a
    member or method name after ``.``, not text inside a string literal)."""
    parts: list[Part] = []
    after_dot = False
    for match in _TOKEN.finditer(when):
        text, kind = match.group(), match.lastgroup
        is_fact = kind == "ident" and not after_dot and text in FACTS
        parts.append((text, text if is_fact else None))
        if kind != "space":
            after_dot = text == "."
    return tuple(parts)


def cel_literal(value: Any) -> str:
    """A fact value as CEL source (booleans, numbers, strings and lists of strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if "." in repr(value) or "e" in repr(value) else f"{value!r}.0"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(cel_literal(item) for item in value) + "]"
    raise RuleError(f"a fact of type {type(value).__name__} cannot be written in CEL")


# --------------------------------------------------------------------------- the fast path


@dataclass(frozen=True, slots=True)
class _Plan:
    """Part of the rule set specialised to one combination of its categorical facts (and one
    set of continuous facts away from their defaults): what fires regardless, and a program
    for the rules that still depend on continuous facts."""

    always: tuple[int, ...]
    live: tuple[int, ...]
    program: Any | None
    variables: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Group:
    """Rules that read exactly the same facts, folded together."""

    number: int
    rules: tuple[int, ...]
    categorical: tuple[str, ...]
    continuous: tuple[str, ...]


_Folded = tuple[tuple[int, ...], tuple[tuple[int, str], ...]]  # (always, live (index, source))
_Combined = tuple[tuple[int, ...], tuple[_Plan, ...]]  # (always, plans with a live program)
_TYPE_RANK: Final[Mapping[type, int]] = {list: 3, str: 2, int: 1, bool: 0}


def _primary(reads: Iterable[str]) -> str:
    """The fact with most values among a group's categorical facts: the partition it joins.
    Groups of flags only share one partition, as do groups of continuous facts only."""
    categorical = [name for name in reads if not FACTS[name].continuous]
    if not categorical:
        return "(continuous)"
    best = max(categorical, key=lambda name: (_TYPE_RANK[FACTS[name].type], name))
    return best if FACTS[best].type is not bool else "(flags)"


class _Partition:
    """Rules whose groups share a primary fact, with their own cache of plans: keys stay
    few because each partition's key holds only the facts its rules read."""

    __slots__ = ("groups", "key_of", "owner", "plans")

    def __init__(
        self, owner: Specialiser, groups: Sequence[_Group], positions: Sequence[int]
    ) -> None:
        self.owner = owner
        self.groups = tuple(groups)
        # Picks this partition's facts out of the child's normalised values (C speed).
        self.key_of = operator.itemgetter(*positions) if positions else (lambda _: ())
        self.plans: dict[Any, _Plan] = {}

    def plan_for(self, values: Sequence[Any], facts: Mapping[str, Any]) -> _Plan:
        """This partition's plan for a child's normalised values (built on first use)."""
        key = self.key_of(values)
        return self.plans.get(key) or self._plan(key, facts)

    def _plan(self, key: Any, facts: Mapping[str, Any]) -> _Plan:
        always: list[int] = []
        live: list[tuple[int, str]] = []
        for group in self.groups:
            group_always, group_live = self.owner.fold_group(group, facts)
            always += group_always
            live += group_live
        live.sort()
        program = self.owner.program([source for _, source in live]) if live else None
        variables = tuple(
            sorted(
                {
                    name
                    for index, _ in live
                    for name in self.owner.rules[index].reads
                    if FACTS[name].continuous and facts[name] != FACTS[name].default
                }
            )
        )
        plan = _Plan(tuple(sorted(always)), tuple(index for index, _ in live), program, variables)
        _remember(self.plans, key, plan)
        return plan


class Specialiser:
    """The fast path of :meth:`RuleSet.evaluate` (see the module docstring, "Speed").

    Rules that read the same facts form a group; groups join the partition of their primary
    fact (concern codes, health indicators, DASH risk, flags...). Each partition caches plans
    keyed by its own facts, each group its folded conditions, and compiled programs are
    shared by source. Every cache is keyed by fact values, bounded, and exact.
    """

    __slots__ = (
        "_combined",
        "_continuous",
        "_group_folds",
        "_lists",
        "_partitions",
        "_programs",
        "_reads",
        "rules",
    )

    def __init__(self, rules: Sequence[Condition]) -> None:
        self.rules = tuple(rules)
        self._reads = tuple(sorted({name for rule in rules for name in rule.reads}))
        position = {name: number for number, name in enumerate(self._reads)}
        self._lists = tuple(position[n] for n in self._reads if FACTS[n].type is list)
        self._continuous = tuple(
            (position[n], FACTS[n].default) for n in self._reads if FACTS[n].continuous
        )
        by_reads: dict[tuple[str, ...], list[int]] = {}
        for index, rule in enumerate(rules):
            by_reads.setdefault(rule.reads, []).append(index)
        by_primary: dict[str, list[_Group]] = {}
        for number, (reads, indexes) in enumerate(by_reads.items()):
            group = _Group(
                number,
                tuple(indexes),
                tuple(n for n in reads if not FACTS[n].continuous),
                tuple(n for n in reads if FACTS[n].continuous),
            )
            by_primary.setdefault(_primary(reads), []).append(group)
        self._partitions = tuple(
            _Partition(
                self,
                groups,
                sorted({position[n] for g in groups for n in (*g.categorical, *g.continuous)}),
            )
            for groups in by_primary.values()
        )
        self._group_folds: dict[tuple[Any, ...], _Folded] = {}
        self._programs: dict[tuple[str, ...], Any] = {}
        self._combined: dict[tuple[Any, ...], _Combined] = {}

    def fired(self, facts: Mapping[str, Any]) -> list[int]:
        """Indexes of the rules that fire, in rule order.

        The child's facts are normalised once into a hashable vector: lists become tuples,
        and a continuous fact becomes "differs from its default" (its value is read only by
        the live programs). Each partition keys its plans by its own slice of that vector;
        the whole vector keys their combination, so a child like one seen before costs one
        lookup and its live programs, not a visit to every partition."""
        values = [facts[name] for name in self._reads]
        for position in self._lists:
            values[position] = tuple(values[position])
        for position, default in self._continuous:
            values[position] = values[position] != default
        key = tuple(values)
        combined = self._combined.get(key)
        if combined is None:
            combined = self._combine(values, facts)
            _remember(self._combined, key, combined)
        always, live = combined
        fired = list(always)
        if live:
            for plan in live:
                fired += _live_hits(plan, facts)
            fired.sort()
        return fired

    def _combine(self, values: Sequence[Any], facts: Mapping[str, Any]) -> _Combined:
        """Every partition's plan for these values: the rules that fire whatever the
        continuous facts (sorted), and the plans that still have a program to run."""
        plans = [partition.plan_for(values, facts) for partition in self._partitions]
        always = tuple(sorted(index for plan in plans for index in plan.always))
        return always, tuple(plan for plan in plans if plan.program is not None)

    def fold_group(self, group: _Group, facts: Mapping[str, Any]) -> _Folded:
        """A group's rules with this child's categorical facts (and continuous facts at their
        default) written in as literals, each decided now if it can be."""
        changed = tuple(n for n in group.continuous if facts[n] != FACTS[n].default)
        key = (group.number, changed, *[_freeze(facts[name]) for name in group.categorical])
        folded = self._group_folds.get(key)
        if folded is None:
            literals = {
                name: cel_literal(facts[name])
                for name in (*group.categorical, *(n for n in group.continuous if n not in changed))
            }
            results = [
                (index, _fold(self.rules[index].specialised(literals))) for index in group.rules
            ]
            folded = (
                tuple(index for index, result in results if result is True),
                tuple((index, result) for index, result in results if isinstance(result, str)),
            )
            _remember(self._group_folds, key, folded)
        return folded

    def program(self, sources: list[str]) -> Any:
        """The compiled list expression of these live conditions (shared by source)."""
        key = tuple(sources)
        program = self._programs.get(key)
        if program is None:
            program = compile_condition("[" + ",\n".join(f"({s})" for s in sources) + "]")
            _remember(self._programs, key, program)
        return program

    def sizes(self) -> dict[str, int]:
        """How many partitions, plans, folded groups and programs (for benchmarks)."""
        return {
            "partitions": len(self._partitions),
            "plans": sum(len(p.plans) for p in self._partitions),
            "group_folds": len(self._group_folds),
            "programs": len(self._programs),
        }


def _live_hits(plan: _Plan, facts: Mapping[str, Any]) -> list[int]:
    """The live rules of a plan that fire for this child's continuous facts."""
    if plan.program is None:
        return []
    hits = plan.program.execute({name: facts[name] for name in plan.variables})
    return [index for index, hit in zip(plan.live, booleans(hits, plan.live), strict=True) if hit]


def _fold(source: str) -> bool | str:
    """A specialised condition, decided if CEL can answer it with no variables at all.

    CEL's ``&&`` and ``||`` absorb errors from the side that does not matter, so an answer
    given without the remaining (continuous) facts cannot depend on them. Otherwise the
    source is returned, still to be evaluated per child."""
    with contextlib.suppress(RuleError, RuntimeError, TypeError, ValueError):
        result = compile_condition(source).execute({})
        if isinstance(result, bool):
            return result
    return source


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    if len(cache) >= _CACHE_SIZE:
        cache.clear()  # a pathological stream of new combinations: start afresh, stay bounded
    cache[key] = value


def _freeze(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def booleans(hits: Any, rules: Sequence[Any]) -> list[bool]:
    # ``set(map(type, ...))`` checks every hit at C speed (this runs for most children).
    if not isinstance(hits, list) or not set(map(type, hits)) <= _BOOL:
        bad = [
            getattr(rule, "id", f"#{rule}")
            for rule, hit in zip(rules, hits, strict=False)
            if not isinstance(hit, bool)
        ]
        raise RuleError(f"rules {', '.join(map(str, bad))} did not give true or false")
    return cast(list[bool], hits)
