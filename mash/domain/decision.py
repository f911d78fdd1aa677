"""A routing decision: one per child per referral, explained, and reproducible on replay."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Route = Literal["s47", "assessment", "caf", "universal"]
Match = Literal["EXACT", "PROBABLE", "POSSIBLE", "NONE"]
CheckOutcome = Literal["FOUND", "NOT_FOUND", "UNAVAILABLE"]


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule that fired: its id, level, the reason in a social worker's words, and evidence."""

    id: str
    level: int
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the router proposes for one child; a person confirms or overrides it.

    ``decision_id`` is derived from (agency, source id, child index, rule-set version), so a
    replay of the same referral under the same rules yields the same id and the log can drop
    the duplicate. ``facts`` is exactly what the rules saw (codes, ages, flags, check summaries;
    never names or narrative), so an auditor can re-run any rule set over it (``mash whatif``).
    """

    decision_id: str
    agency: str
    source_id: str
    source_code: str
    child_index: int
    child_key: str
    household_id: str
    match: Match
    match_score: float
    route: Route
    level: int
    rules: tuple[FiredRule, ...]
    checks: dict[str, CheckOutcome]
    check_details: dict[str, dict[str, Any]]
    flags: tuple[str, ...]
    facts: dict[str, Any]
    rule_set_version: str
    input_digest: str
    received_at: datetime
    decided_at: datetime
    decided_by: str
    deadline: datetime
    kind: Literal["decision", "override"] = "decision"
    supersedes: str | None = None
    reason: str | None = None
