"""Counting a chaos run against the decision log: pure functions of what was sent and logged.

"Lost" and "duplicated" are defined on the log, not on the topics, because the log is where a
hub's answer to "what happened to this child" lives: the decisions topic may legitimately carry
a re-sent copy of a decision (the worker is at-least-once with deterministic ids), the log
must not.

* expected: one ``(agency, source_id, child_index)`` per child of every referral that was
  acknowledged by the broker and passes validation (what the offline pipeline accepts).
* lost: an expected child with no decision in the log.
* duplicated: a child logged under more than one decision id for the *same* input (same
  ``input_digest``; a corrected referral resent under the same id is a new input and rightly
  a new decision), plus every decision id the log holds more than once.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from mash.agencies import to_referral
from mash.avro.registry import Registry
from mash.domain.referral import Referral

ChildKey = tuple[str, str, int]  # agency, source id, child index


@dataclass(frozen=True)
class Counts:
    """What one scenario counted in the log."""

    children_expected: int
    decided: int
    lost: int
    duplicated: int
    lost_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Result:
    """One scenario's line in ``mash chaos --json``: the contract other tools read."""

    scenario: str
    published: int
    children_expected: int
    decided: int
    lost: int
    duplicated: int
    seconds: float
    notes: list[str] = field(default_factory=list)
    passed: bool = True

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["seconds"] = round(self.seconds, 1)
        return out


def children_of(referral: Referral) -> list[ChildKey]:
    return [(referral.agency, referral.source_id, i) for i in range(len(referral.children))]


def accepted(agency: str, obj: Mapping[str, Any]) -> Referral | None:
    """The referral the worker would route from this agency record, or None when the worker
    must dead-letter it (the same pure mapping the worker runs)."""
    try:
        return to_referral(agency, obj, datetime.now(UTC))
    except Exception:
        return None


def accepted_bytes(registry: Registry, agency: str, payload: bytes) -> Referral | None:
    """As :func:`accepted`, from the wire bytes: the worker's decode and validate steps."""
    try:
        record = registry.decode(payload, agency)
    except Exception:
        return None
    return accepted(agency, record)


def expected_children(referrals: Iterable[Referral | None]) -> set[ChildKey]:
    return {key for referral in referrals if referral is not None for key in children_of(referral)}


def count(expected: set[ChildKey], logged: Iterable[Mapping[str, Any]]) -> Counts:
    """Lost and duplicated children of ``expected`` in the ``logged`` decision dicts."""
    ids: Counter[str] = Counter()
    per_input: dict[tuple[str, str, int, str], set[str]] = defaultdict(set)
    decided_children: set[ChildKey] = set()
    for decision in logged:
        if decision.get("kind", "decision") != "decision":
            continue
        ids[decision["decision_id"]] += 1
        child = (decision["agency"], decision["source_id"], int(decision["child_index"]))
        per_input[(*child, decision["input_digest"])].add(decision["decision_id"])
        decided_children.add(child)
    lost = sorted(expected - decided_children)
    duplicated = sum(n - 1 for n in ids.values() if n > 1)
    duplicated += sum(len(found) - 1 for found in per_input.values() if len(found) > 1)
    return Counts(
        children_expected=len(expected),
        decided=len(ids),
        lost=len(lost),
        duplicated=duplicated,
        lost_examples=tuple(f"{a}:{s}#{i}" for a, s, i in lost[:5]),
    )
