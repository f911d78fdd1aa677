"""Decisions as the router publishes them, for the hub's unit tests.

The factory builds the contract's decision dict (DESIGN.md) with ids and codes only, the way
the stream worker puts it on a queue topic.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from mash.hub.model import iso

MakeDecision = Callable[..., dict[str, Any]]

MONDAY_9AM = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a working Monday, GMT (UTC = local)


@pytest.fixture
def make_decision() -> MakeDecision:
    counter = iter(range(1, 10_000))

    def make(
        route: str = "assessment",
        received_at: datetime = MONDAY_9AM,
        deadline: datetime | None = None,
        decision_id: str | None = None,
        flags: tuple[str, ...] = (),
        reason: str = "Domestic abuse incident with the child present",
    ) -> dict[str, Any]:
        n = next(counter)
        return {
            "decision_id": decision_id or f"d{n:04d}" + "0" * 27,
            "kind": "decision",
            "agency": "police",
            "source_id": f"PPN-{n:04d}",
            "source_code": "6",
            "child_index": 0,
            "child_key": f"ck-{n:04d}",
            "household_id": f"hh-{n:04d}",
            "match": "EXACT",
            "match_score": 0.98,
            "route": route,
            "level": {"s47": 4, "assessment": 3, "caf": 2, "universal": 1}[route],
            "rules": [
                {"id": "DA_CHILD_PRESENT", "level": 3, "reason": reason, "evidence": {}},
                {
                    "id": "REPEAT_INCIDENTS",
                    "level": 2,
                    "reason": "Three incidents in a year",
                    "evidence": {},
                },
            ],
            "checks": {
                "social-care": "FOUND",
                "early-help": "NOT_FOUND",
                "police": "FOUND",
                "health": "UNAVAILABLE",
            },
            "check_details": {},
            "flags": list(flags),
            "facts": {},
            "rule_set_version": "rs-test",
            "input_digest": f"dig-{n}",
            "received_at": iso(received_at),
            "decided_at": iso(received_at + timedelta(milliseconds=40)),
            "deadline": iso(deadline or received_at + timedelta(hours=10)),
            "decided_by": "mash-router@test",
            "supersedes": None,
            "reason": None,
        }

    return make
