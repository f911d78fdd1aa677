"""What if the partnership changed its thresholds? Re-decide logged children under another rule
set and show where they would go: the safety review before a policy change.

Pure: decision dicts in (as the log returns them), a report out. Each decision's ``facts`` are
exactly what the rules saw, so re-evaluating them needs no referral, no records and no clock.
Only automated decisions are compared (``kind == "decision"``), the latest per child of each
referral (a referral re-decided under a newer rule set is counted once, as it stands now).
A staff override is a person's judgement, not a rule's, so it is neither the "current" route
nor re-decided. A move to a route of lower ``Route.rank`` is a downgrade; the matrix lists the
routes most intensive first (``Route.ordered()``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mash.domain.facts import complete_logged_facts
from mash.domain.routes import Route
from mash.domain.thresholds import Outcome, RuleSet
from mash.errors import RuleError


@dataclass(frozen=True, slots=True)
class Move:
    """One child whose route would change."""

    decision_id: str
    child_key: str
    agency: str
    source_id: str
    child_index: int
    old_route: str
    new_route: str
    old_level: int
    new_level: int
    lost_rules: tuple[str, ...]  # fired before, not now
    gained_rules: tuple[str, ...]  # fire now, not before

    @property
    def down(self) -> bool:
        return Route(self.new_route).rank < Route(self.old_route).rank

    def as_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "child_key": self.child_key,
            "agency": self.agency,
            "source_id": self.source_id,
            "child_index": self.child_index,
            "old_route": self.old_route,
            "new_route": self.new_route,
            "old_level": self.old_level,
            "new_level": self.new_level,
            "lost_rules": list(self.lost_rules),
            "gained_rules": list(self.gained_rules),
        }


@dataclass(frozen=True, slots=True)
class WhatIfReport:
    """The transition matrix (current route x new route: children), the children who would
    go down or up, and the decisions that could not be re-evaluated (with the reason)."""

    rule_set_version: str
    matrix: Mapping[tuple[str, str], int]
    downgrades: tuple[Move, ...]
    upgrades: tuple[Move, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    overrides_ignored: int = 0
    versions_compared: tuple[str, ...] = field(default=())
    completed: Mapping[str, int] = field(default_factory=dict)
    """Facts newer than a logged decision, read as not known: fact name -> decisions."""

    @property
    def total(self) -> int:
        return sum(self.matrix.values())

    @property
    def unchanged(self) -> int:
        return sum(count for (old, new), count in self.matrix.items() if old == new)

    def count(self, old: str, new: str) -> int:
        return self.matrix.get((old, new), 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_set_version": self.rule_set_version,
            "compared_with": list(self.versions_compared),
            "total": self.total,
            "unchanged": self.unchanged,
            "matrix": {
                old: {new: self.count(old, new) for new in Route.ordered()}
                for old in Route.ordered()
            },
            "downgrades": [move.as_dict() for move in self.downgrades],
            "upgrades": [move.as_dict() for move in self.upgrades],
            "skipped": [{"decision_id": ref, "reason": why} for ref, why in self.skipped],
            "overrides_ignored": self.overrides_ignored,
            "facts_completed": dict(self.completed),
        }


def latest_decisions(decisions: Iterable[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], int]:
    """The latest automated decision per child of each referral, and how many overrides were
    left out. "Latest" is by ``decided_at`` (ISO-8601 UTC strings sort in time order), then by
    log order."""
    latest: dict[tuple[Any, Any, Any], Mapping[str, Any]] = {}
    overrides = 0
    for decision in decisions:
        if decision.get("kind", "decision") != "decision":
            overrides += 1
            continue
        key = (decision.get("agency"), decision.get("source_id"), decision.get("child_index"))
        held = latest.get(key)
        if held is None or str(decision.get("decided_at", "")) >= str(held.get("decided_at", "")):
            latest[key] = decision
    return list(latest.values()), overrides


def move_of(old: Mapping[str, Any], new: Outcome) -> Move:
    """How one child's decision would change (whether or not the route does)."""
    old_ids = [rule.get("id") for rule in old.get("rules") or () if isinstance(rule, Mapping)]
    new_ids = list(new.rule_ids)
    return Move(
        decision_id=str(old.get("decision_id", "?")),
        child_key=str(old.get("child_key", "?")),
        agency=str(old.get("agency", "?")),
        source_id=str(old.get("source_id", "?")),
        child_index=int(old.get("child_index", 0)),
        old_route=str(old["route"]),
        new_route=new.route,
        old_level=int(old.get("level", 0)),
        new_level=new.level,
        lost_rules=tuple(str(rid) for rid in old_ids if rid not in new_ids),
        gained_rules=tuple(rid for rid in new_ids if rid not in old_ids),
    )


def compare(
    pairs: Iterable[tuple[Mapping[str, Any], Outcome]],
    rule_set_version: str,
    skipped: Iterable[tuple[str, str]] = (),
    overrides_ignored: int = 0,
    completed: Mapping[str, int] | None = None,
) -> WhatIfReport:
    """The report from (logged decision, new outcome) pairs: the pure core of ``whatif``."""
    matrix: Counter[tuple[str, str]] = Counter()
    down: list[Move] = []
    up: list[Move] = []
    versions: set[str] = set()
    for old, new in pairs:
        move = move_of(old, new)
        matrix[(move.old_route, move.new_route)] += 1
        versions.add(str(old.get("rule_set_version", "?")))
        if move.old_route != move.new_route:
            (down if move.down else up).append(move)
    severity = sorted(down, key=lambda m: (-Route(m.old_route).rank, Route(m.new_route).rank))
    return WhatIfReport(
        rule_set_version,
        dict(matrix),
        tuple(severity),
        tuple(up),
        tuple(skipped),
        overrides_ignored,
        tuple(sorted(versions)),
        dict(completed or {}),
    )


def whatif(decisions: Iterable[Mapping[str, Any]], rules: RuleSet) -> WhatIfReport:
    """Re-evaluate the latest logged decision of every child under ``rules``.

    A decision logged before some facts existed has them read as not known, as the live
    router reads a question the form did not ask (:func:`complete_logged_facts`), and the
    report counts them. A decision whose facts the rules still cannot read (a fact missing
    that existed when it was logged, or a route the matrix does not know) is skipped and
    listed with the reason, never guessed at.
    """
    current, overrides = latest_decisions(decisions)
    pairs: list[tuple[Mapping[str, Any], Outcome]] = []
    skipped: list[tuple[str, str]] = []
    completed: Counter[str] = Counter()
    for decision in current:
        ref = str(decision.get("decision_id", "?"))
        facts = decision.get("facts")
        if Route.parse(decision.get("route")) is None or not isinstance(facts, Mapping):
            skipped.append((ref, "no route or no facts logged"))
            continue
        full, filled = complete_logged_facts(facts)
        try:
            pairs.append((decision, rules.evaluate(full)))
        except RuleError as exc:
            skipped.append((ref, str(exc)))
            continue
        completed.update(filled)
    return compare(pairs, rules.version, skipped, overrides, completed)
