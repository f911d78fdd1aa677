"""The numbers behind /metrics, derived from the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mash.hub.measures import histogram, measure
from mash.hub.model import claim, confirm, override, supersede, transfer, work_item_from_dict

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_measures_per_route(make_decision: MakeDecision) -> None:
    deadline = START + timedelta(hours=10)
    waiting = work_item_from_dict(make_decision(received_at=START, deadline=deadline))
    in_time = confirm(
        claim(work_item_from_dict(make_decision(received_at=START, deadline=deadline)), "a", START),
        "a",
        START + timedelta(hours=1),
    )
    late = override(
        claim(
            work_item_from_dict(make_decision(route="caf", received_at=START, deadline=deadline)),
            "a",
            START,
        ),
        "assessment",
        "why",
        "a",
        START + timedelta(hours=12),
    )
    m = measure([waiting, in_time, late], START + timedelta(hours=9))
    assert m.depth == {"assessment": 1}
    assert m.decisions == {"assessment": 2, "caf": 1}
    assert m.staff_decisions == {("assessment", "confirmed"): 1, ("caf", "overridden"): 1}
    assert m.warnings == {"assessment": 1, "caf": 1}  # waiting is at 90%; late was decided late
    assert m.breaches == {"caf": 1}
    assert sorted(m.time_to_decision) == [3600.0, 12 * 3600.0]
    assert m.processing_latency == (0.04, 0.04, 0.04)


def test_a_hand_off_keeps_the_decisions_label_and_a_superseded_item_counts_once(
    make_decision: MakeDecision,
) -> None:
    """Counters never go down: a confirmed child transferred later is still a confirmation;
    an item superseded before anyone decided it hands its clocks to the newer one."""
    deadline = START + timedelta(hours=10)
    decided = confirm(
        claim(work_item_from_dict(make_decision(received_at=START, deadline=deadline)), "a", START),
        "a",
        START + timedelta(hours=1),
    )
    before = measure([decided], START + timedelta(hours=2))
    moved = transfer(decided, "a", START + timedelta(hours=2))
    after = measure([moved], START + timedelta(hours=3))
    assert before.staff_decisions == after.staff_decisions == {("assessment", "confirmed"): 1}
    older = work_item_from_dict(make_decision(received_at=START, deadline=deadline))
    ended, newer = supersede(older, work_item_from_dict(make_decision(received_at=START)))
    m = measure([ended, newer], START + timedelta(hours=11))
    assert m.decisions == {"assessment": 2}  # two routing decisions were made
    assert m.depth == {"assessment": 1} and m.breaches == {"assessment": 1}  # one child waits
    assert m.staff_decisions == {} and m.time_to_decision == ()


def test_histogram_buckets_are_cumulative() -> None:
    assert histogram([0.03, 0.3, 3.0], (0.1, 1.0)) == [("0.1", 1.0), ("1", 2.0), ("+Inf", 3.0)]
