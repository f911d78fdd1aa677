"""Cross-agency checks: for each child, what each agency's records say (or that they can't say).

A check is FOUND (a record matched), NOT_FOUND (the records were available and none matched) or
UNAVAILABLE (the records could not be consulted: not yet loaded, stale, or the lookup failed).
UNAVAILABLE is never treated as NOT_FOUND: missing information must not lower a route.
"""

from __future__ import annotations

from dataclasses import dataclass

from mash.domain.decision import CheckOutcome, Match
from mash.domain.records import PersonRecord, RecordKind


@dataclass(frozen=True, slots=True)
class CheckResult:
    """The outcome of looking a child up in one agency's records."""

    kind: RecordKind
    outcome: CheckOutcome
    match: Match = "NONE"
    score: float = 0.0
    record: PersonRecord | None = None
    reason: str = ""
