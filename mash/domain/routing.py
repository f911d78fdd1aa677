"""The routing service: one canonical referral in, one explained decision per child out.

Per child: resolve identity and run the cross-agency checks (:mod:`mash.domain.checks`), build
the facts (:func:`mash.domain.facts.child_facts`), let the rule set decide
(``rules.evaluate(facts) -> Outcome``: level, route, fired rules, flags; the *semantics* of
levels, fail-upward, consent and the CP-plan floor live in the rule engine), then assemble the
:class:`~mash.domain.decision.Decision`: deterministic ids, digest, deadline, checks, flags.

The same code runs offline (``mash route``) and in the stream worker; nothing here does I/O or
reads the wall clock except through the injected :class:`~mash.domain.clocks.Clock`.

Never stall: if building the facts or evaluating the rules raises for a child, the child goes
to assessment with flag ENGINE_ERROR and a fired rule ``engine.error`` whose evidence names the
error *type* (messages could carry data), so a person looks at it the same day.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final, Protocol

from mash import __version__
from mash.domain.area import HubArea
from mash.domain.checks import (
    DEFAULT_POLICY,
    CheckPolicy,
    CheckResult,
    check_child,
    check_detail,
    check_outcomes,
    is_uncertain,
)
from mash.domain.clocks import Clock, SystemClock, WorkingCalendar, deadline_for
from mash.domain.codes import (
    CONCERN_CODES,
    FLAG_CHECKS_INCOMPLETE,
    FLAG_ENGINE_ERROR,
    FLAG_IDENTITY_UNCERTAIN,
    FLAG_INVALID_NHS_NUMBER,
    FLAG_OUT_OF_AREA,
    FLAG_UNKNOWN_CODES,
)
from mash.domain.decision import (
    Decision,
    FiredRule,
    Match,
    household_id,
    input_digest,
    make_decision_id,
)
from mash.domain.facts import child_facts
from mash.domain.identity import MATCH_RANK, Profile, child_key, child_profile
from mash.domain.narrative import NO_CONCERNS, NarrativeScan
from mash.domain.normalise import is_valid_nhs_number
from mash.domain.records import RecordLookup
from mash.domain.referral import Child, Referral
from mash.domain.routes import Route
from mash.domain.values import as_utc

log = logging.getLogger(__name__)

ENGINE_ERROR_RULE: Final = "engine.error"


class Outcome(Protocol):
    """What the rule engine returns for one child (``mash.domain.thresholds.Outcome``)."""

    @property
    def level(self) -> int: ...
    @property
    def route(self) -> Route: ...
    @property
    def fired(self) -> tuple[FiredRule, ...]: ...
    @property
    def flags(self) -> tuple[str, ...]: ...
    @property
    def facts(self) -> dict[str, Any]: ...


class Rules(Protocol):
    """The part of ``mash.domain.thresholds.RuleSet`` the router needs."""

    @property
    def version(self) -> str: ...
    @property
    def assessment_level(self) -> int: ...
    def evaluate(self, facts: Mapping[str, Any]) -> Outcome: ...
    def read_narrative(self, text: str | None) -> NarrativeScan: ...


def default_decided_by() -> str:
    """``mash-router@<version>``: which software proposed the route (a person confirms it)."""
    return f"mash-router@{__version__}"


class Router:
    """Decides every child of a referral. Cheap to call: build one per rule set and reuse it.

    ``rules``: the compiled rule set. ``lookup``: the cross-agency records (a
    :class:`~mash.domain.records.RecordIndex`, a Faust table adapter, ...). ``calendar``:
    working days and office hours for deadlines. ``clock``: where ``decided_at`` comes from
    when the caller does not give it. ``policy``: which record kinds to check and how stale a
    record may be. ``area``: the hub's own postcodes; a child living outside them is flagged
    OUT_OF_AREA (:mod:`mash.domain.area`); ``None`` flags nobody.
    """

    __slots__ = ("area", "calendar", "clock", "decided_by", "lookup", "policy", "rules")

    def __init__(
        self,
        rules: Rules,
        lookup: RecordLookup,
        calendar: WorkingCalendar | None = None,
        decided_by: str | None = None,
        *,
        clock: Clock | None = None,
        policy: CheckPolicy = DEFAULT_POLICY,
        area: HubArea | None = None,
    ) -> None:
        self.rules = rules
        self.area = area
        self.lookup = lookup
        self.calendar = calendar if calendar is not None else WorkingCalendar()
        self.decided_by = decided_by or default_decided_by()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.policy = policy

    def decide(self, referral: Referral, decided_at: datetime | None = None) -> list[Decision]:
        """One decision per child, in the referral's order. Never raises for a child: a
        failing lookup is an UNAVAILABLE check, a failing rule engine an ENGINE_ERROR."""
        context = _ReferralContext(
            referral=referral,
            decided_at=as_utc(decided_at if decided_at is not None else self.clock.now()),
            digest=input_digest(referral),
            household=household_id(referral.agency, referral.source_id),
            unknown_codes=not referral.concern_codes <= CONCERN_CODES,
            narrative=self._read_narrative(referral),
        )
        return [self._decide_child(context, child) for child in referral.children]

    def _read_narrative(self, referral: Referral) -> NarrativeScan:
        # Never stall a referral on its free text: a failing scan reads nothing, and the
        # children are still decided on every structured field (ids only in the log).
        try:
            return self.rules.read_narrative(referral.narrative)
        except Exception as exc:
            log.error(
                "narrative scan failed (%s) for %s referral %s; decided on the fields alone",
                type(exc).__name__,
                referral.agency,
                referral.source_id,
            )
            return NO_CONCERNS

    # ------------------------------------------------------------------ one child

    def _decide_child(self, context: _ReferralContext, child: Child) -> Decision:
        referral = context.referral
        profile = child_profile(child)
        checks = check_child(child, profile, self.lookup, referral.received_at, self.policy)
        level, route, fired, flags, facts = self._evaluate(
            referral, child, checks, context.narrative
        )
        match, score = best_match(checks.values())
        version = self.rules.version
        return Decision(
            decision_id=make_decision_id(
                referral.agency, referral.source_id, child.index, version, context.digest
            ),
            agency=referral.agency,
            source_id=referral.source_id,
            source_code=referral.source_code,
            child_index=child.index,
            child_key=child_key(child, profile),
            household_id=context.household,
            match=match,
            match_score=score,
            route=route,
            level=level,
            rules=fired,
            checks=check_outcomes(checks.values()),
            check_details={kind: check_detail(result) for kind, result in checks.items()},
            flags=merge_flags(
                flags, router_flags(child, profile, checks, context.unknown_codes, self.area)
            ),
            facts=facts,
            rule_set_version=version,
            input_digest=context.digest,
            received_at=referral.received_at,
            decided_at=context.decided_at,
            decided_by=self.decided_by,
            deadline=context.deadline(route, self.calendar),
        )

    def _evaluate(
        self,
        referral: Referral,
        child: Child,
        checks: Mapping[str, CheckResult],
        narrative: NarrativeScan,
    ) -> tuple[int, Route, tuple[FiredRule, ...], tuple[str, ...], dict[str, Any]]:
        facts: dict[str, Any] = {}
        try:
            facts = child_facts(referral, child, checks, narrative)
            outcome = self.rules.evaluate(facts)
            return outcome.level, outcome.route, outcome.fired, outcome.flags, outcome.facts
        except Exception as exc:  # never stall a child on a broken rule: fail upward, flagged
            # Ids and the error type only: a rule's error message may quote the child's facts.
            log.error(
                "rules engine failed (%s) for %s referral %s child %d under rule set %s; "
                "routed to assessment with ENGINE_ERROR",
                type(exc).__name__,
                referral.agency,
                referral.source_id,
                child.index,
                self.rules.version,
            )
            level = self.rules.assessment_level
            return (
                level,
                Route.ASSESSMENT,
                (engine_error_rule(exc, level),),
                (FLAG_ENGINE_ERROR,),
                facts,
            )


@dataclass(slots=True)
class _ReferralContext:
    """What every child of one referral shares, computed once (digest, household, narrative,
    deadlines)."""

    referral: Referral
    decided_at: datetime
    digest: str
    household: str
    unknown_codes: bool
    narrative: NarrativeScan
    _deadlines: dict[str, datetime] = field(default_factory=dict)

    def deadline(self, route: Route, calendar: WorkingCalendar) -> datetime:
        known = self._deadlines.get(route)
        if known is None:
            known = deadline_for(route, self.referral.received_at, calendar)
            self._deadlines[route] = known
        return known


# --------------------------------------------------------------------------- pure helpers


def engine_error_rule(exc: BaseException, level: int) -> FiredRule:
    """The fired rule that explains an ENGINE_ERROR decision (error type only, no message)."""
    kind = type(exc).__name__
    return FiredRule(
        ENGINE_ERROR_RULE,
        level,
        f"The routing rules could not be applied to this child ({kind}), so the child goes to "
        "assessment for a social worker to decide; the error has been logged for the rules "
        "owner.",
        {"error": kind},
    )


def best_match(results: Iterable[CheckResult]) -> tuple[Match, float]:
    """The strongest identity match among FOUND checks: how well the child is linked to
    existing records. A weaker match elsewhere is not hidden: IDENTITY_UNCERTAIN is flagged
    and ``check_details`` holds each kind's own match."""
    best: tuple[Match, float] = ("NONE", 0.0)
    for result in results:
        if result.outcome != "FOUND":
            continue
        if (MATCH_RANK[result.match], result.score) > (MATCH_RANK[best[0]], best[1]):
            best = (result.match, result.score)
    return best


def router_flags(
    child: Child,
    profile: Profile,
    checks: Mapping[str, CheckResult],
    unknown_codes: bool,
    area: HubArea | None = None,
) -> list[str]:
    """Flags the router adds whatever the rules say: data a person must look at."""
    flags = []
    if any(map(is_uncertain, checks.values())):
        flags.append(FLAG_IDENTITY_UNCERTAIN)
    if any(r.outcome == "UNAVAILABLE" for r in checks.values()):
        flags.append(FLAG_CHECKS_INCOMPLETE)
    if child.nhs_number and not is_valid_nhs_number(child.nhs_number):
        flags.append(FLAG_INVALID_NHS_NUMBER)
    if unknown_codes:
        flags.append(FLAG_UNKNOWN_CODES)
    if area is not None and area.covers(child.postcode) is False:
        flags.append(FLAG_OUT_OF_AREA)
    return flags


def merge_flags(first: Iterable[str], second: Iterable[str]) -> tuple[str, ...]:
    """Both lists of flags, each once, in first-seen order (stable output for replay)."""
    return tuple(dict.fromkeys((*first, *second)))
