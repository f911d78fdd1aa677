"""Cross-agency checks: for each child, what each agency's records say (or that they can't say).

A check is FOUND (a record matched), NOT_FOUND (the records were available and none matched) or
UNAVAILABLE (the records could not be consulted: not yet loaded, stale, or the lookup failed).
UNAVAILABLE is never treated as NOT_FOUND: missing information must not lower a route.

What a match contributes to the facts the rules see (contract with :mod:`mash.domain.facts`).
The rule is stated once, here, by :func:`is_confirmed` and :func:`is_uncertain`; the facts
builder and the router ask them rather than testing outcomes and matches themselves:

- FOUND with match EXACT or PROBABLE (:func:`is_confirmed`): the record is the child's; every
  attribute counts, including a status or CP-IS flag of NONE, and a record without one reads
  as NOT_RECORDED.
- FOUND with match POSSIBLE (:func:`is_uncertain`): the record *may* be the child's. Its
  attributes may only **raise** concern (a status other than NONE, an open MARAC, a household
  risk to children, incident counts, an open early-help episode, a CP-IS flag): they are used
  as if they were the child's, because ignoring a possible CP plan is the worse error. They
  must never **lower** it: a POSSIBLE record's status NONE, ``open_marac: false`` or a zero
  count says nothing about the child, so for those the facts builder keeps the not-found
  default. The decision carries IDENTITY_UNCERTAIN so a person confirms who the child is.
- NOT_FOUND: the agency holds nothing on the child (a fact: "not known to social care").
- UNAVAILABLE: unknown. ``record`` is always ``None`` so nothing can be read from it by mistake;
  the rules fail upward (CHECKS_INCOMPLETE).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from mash.domain.decision import CheckOutcome, Match
from mash.domain.identity import Profile, resolve
from mash.domain.records import RECORD_KINDS, PersonRecord, RecordKind, RecordLookup
from mash.domain.referral import Child
from mash.domain.values import as_utc


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of looking a child up in one agency's records."""

    kind: RecordKind
    outcome: CheckOutcome
    match: Match = "NONE"
    score: float = 0.0
    record: PersonRecord | None = None
    reason: str = ""


def is_confirmed(result: CheckResult) -> bool:
    """A FOUND record that is the child's (EXACT or PROBABLE), so it may also lower concern."""
    return result.outcome == "FOUND" and result.match in ("EXACT", "PROBABLE")


def is_uncertain(result: CheckResult) -> bool:
    """A FOUND record that only possibly is the child's: it may raise concern, never lower it."""
    return result.outcome == "FOUND" and result.match == "POSSIBLE"


@dataclass(frozen=True, slots=True)
class CheckPolicy:
    """How checks are run. ``max_age``: a matched record last updated longer than this before
    the referral was received counts as UNAVAILABLE (``None``: no limit). The default is no
    limit, because a compacted topic holds the *latest* state per person: a record untouched
    for two years is current, not stale. Set it when an agency feed is known to lag."""

    kinds: tuple[RecordKind, ...] = RECORD_KINDS
    max_age: timedelta | None = None


DEFAULT_POLICY: Final = CheckPolicy()


def _unavailable(
    kind: RecordKind, reason: str, match: Match = "NONE", score: float = 0.0
) -> CheckResult:
    return CheckResult(kind, "UNAVAILABLE", match, score, None, reason)


# The common answers, built once: results are immutable, so every child can share them.
_NOT_FOUND: Final = {
    kind: CheckResult(kind, "NOT_FOUND", reason="no matching record") for kind in RECORD_KINDS
}
_NOT_LOADED: Final = {kind: _unavailable(kind, "records not loaded") for kind in RECORD_KINDS}
_NOT_SEARCHABLE: Final = {
    kind: _unavailable(kind, "no date of birth or identifier to search on") for kind in RECORD_KINDS
}


def check_kind(
    kind: RecordKind,
    child: Child,
    profile: Profile,
    lookup: RecordLookup,
    as_of: datetime,
    max_age: timedelta | None = None,
) -> CheckResult:
    """Look one child up in one agency's records. Never raises: a failing lookup is
    UNAVAILABLE with the error's type (not its message, which could quote personal data)."""
    try:
        if not lookup.available(kind):
            return _NOT_LOADED[kind]
        if not profile.searchable:
            return _NOT_SEARCHABLE[kind]
        found = resolve(profile, lookup.candidates(kind, child))
    except Exception as exc:  # a broken store must not stall routing: fail upward instead
        return _unavailable(kind, f"lookup failed ({type(exc).__name__})")
    if found.record is None or found.match == "NONE":
        return _NOT_FOUND[kind]
    if max_age is not None:
        age = as_utc(as_of) - as_utc(found.record.updated_at)
        if age > max_age:
            return _unavailable(
                kind,
                f"matched record {found.record.person_id} is stale ({age.days} days old)",
                found.match,
                found.score,
            )
    return CheckResult(kind, "FOUND", found.match, found.score, found.record, found.reason)


def check_child(
    child: Child,
    profile: Profile,
    lookup: RecordLookup,
    as_of: datetime,
    policy: CheckPolicy = DEFAULT_POLICY,
) -> dict[str, CheckResult]:
    """Every configured agency check for one child, keyed by record kind. ``as_of`` is the
    referral's receipt time (not the wall clock), so a replay measures staleness alike."""
    return {
        kind: check_kind(kind, child, profile, lookup, as_of, policy.max_age)
        for kind in policy.kinds
    }


# --------------------------------------------------------------------------- for the log

# What of each kind's record is safe and useful to show with a decision: codes, counts and
# flags. Names, dates of birth, postcodes and the lead professional's name are left out.
SUMMARY_FIELDS: Final[Mapping[RecordKind, tuple[str, ...]]] = {
    "social-care": ("status", "referrals_12m", "last_s47_date"),
    "early-help": ("open_episode",),
    "police": ("domestic_incidents_12m", "open_marac", "household_risk_to_children"),
    "health": ("cpis_flag", "ed_attendances_12m"),
}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _summary(result: CheckResult) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "outcome": result.outcome,
        "match": result.match,
        "score": result.score,
        "reason": result.reason,
    }
    record = result.record
    if record is not None:
        detail["person_id"] = record.person_id
        detail["updated_at"] = record.updated_at.isoformat().replace("+00:00", "Z")
        attributes = record.attributes
        for name in SUMMARY_FIELDS[result.kind]:
            if name in attributes:
                detail[name] = _plain(attributes[name])
        if result.kind == "early-help":
            detail["has_lead_professional"] = bool(attributes.get("lead_professional"))
    return detail


# Summaries of the shared results (NOT_FOUND, not loaded, ...), built once and copied.
_SHARED_SUMMARIES: Final = {
    id(result): _summary(result)
    for table in (_NOT_FOUND, _NOT_LOADED, _NOT_SEARCHABLE)
    for result in table.values()
}


def check_detail(result: CheckResult) -> dict[str, Any]:
    """A JSON-safe summary of one check for the decision's ``check_details`` (no personal
    data beyond the agency's own person id): codes, counts and flags of the record."""
    shared = _SHARED_SUMMARIES.get(id(result))
    return dict(shared) if shared is not None else _summary(result)


def check_outcomes(results: Iterable[CheckResult]) -> dict[str, CheckOutcome]:
    """``{kind: outcome}`` as the decision's ``checks`` field."""
    return {result.kind: result.outcome for result in results}
