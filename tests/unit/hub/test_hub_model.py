"""The work-item state machine: routed -> claimed -> confirmed | overridden | transferred."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from mash.errors import DecodeError, StateError, UsageError
from mash.hub.model import (
    Action,
    HubEvent,
    ItemState,
    claim,
    confirm,
    event_from_dict,
    item_from_state,
    item_to_state,
    override,
    transfer,
    work_item_from_dict,
)

MakeDecision = Callable[..., dict[str, Any]]

AT = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def test_a_queue_message_becomes_a_routed_item(make_decision: MakeDecision) -> None:
    decision = make_decision(route="s47", flags=("IDENTITY_UNCERTAIN",), reason="Baby bruised")
    item = work_item_from_dict(decision)
    assert item.state is ItemState.ROUTED
    assert (item.route, item.routed_to, item.level) == ("s47", "s47", 4)
    assert item.first_reason == "Baby bruised"
    assert item.flags == ("IDENTITY_UNCERTAIN",)
    assert item.received_at.tzinfo is not None and item.deadline > item.received_at


def test_the_slim_work_item_form_is_read_too(make_decision: MakeDecision) -> None:
    full = make_decision()
    slim = {
        k: full[k]
        for k in (
            "decision_id",
            "route",
            "deadline",
            "flags",
            "child_key",
            "agency",
            "source_id",
            "child_index",
            "received_at",
        )
    }
    slim["first_reason"] = "Child disclosed harm"
    item = work_item_from_dict(slim)
    assert item.first_reason == "Child disclosed harm"
    assert item.level is None and item.routed_at is None


def test_a_message_without_a_deadline_is_refused_by_id(make_decision: MakeDecision) -> None:
    decision = make_decision(decision_id="dX")
    del decision["deadline"]
    with pytest.raises(DecodeError, match="dX lacks deadline"):
        work_item_from_dict(decision)


def test_claim_then_confirm(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    assert (item.state, item.claimed_by) == (ItemState.CLAIMED, "sw.ali")
    assert claim(item, "sw.ali", AT) is item  # claiming your own claim changes nothing
    done = confirm(item, "sw.ali", AT)
    assert (done.state, done.decided_by, done.decided_at) == (ItemState.CONFIRMED, "sw.ali", AT)
    assert not done.is_open


def test_someone_elses_claim_is_refused(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    with pytest.raises(StateError, match=r"already claimed by sw\.ali"):
        claim(item, "sw.bea", AT)


def test_deciding_needs_a_claim_and_happens_once(make_decision: MakeDecision) -> None:
    routed = work_item_from_dict(make_decision())
    with pytest.raises(StateError, match="claim it first"):
        confirm(routed, "sw.ali", AT)
    done = confirm(claim(routed, "sw.ali", AT), "sw.ali", AT)
    with pytest.raises(StateError, match="already confirmed"):
        override(done, "caf", "changed my mind", "sw.ali", AT)


def test_override_moves_the_route_and_keeps_the_proposal(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision(route="assessment")), "tm.cho", AT)
    moved = override(item, "s47", "  Sibling on a CP plan  ", "tm.cho", AT)
    assert (moved.state, moved.route, moved.routed_to) == (
        ItemState.OVERRIDDEN,
        "s47",
        "assessment",
    )
    assert moved.reason == "Sibling on a CP plan"


@pytest.mark.parametrize(
    ("route", "reason", "message"),
    [
        ("caf", None, "needs a reason"),
        ("caf", "   ", "needs a reason"),
        ("assessment", "same route", "already on route assessment"),
        ("nowhere", "bad route", "unknown route"),
    ],
)
def test_an_override_needs_a_new_route_and_a_reason(
    make_decision: MakeDecision, route: str, reason: str | None, message: str
) -> None:
    item = claim(work_item_from_dict(make_decision(route="assessment")), "tm.cho", AT)
    with pytest.raises(UsageError, match=message):
        override(item, route, reason, "tm.cho", AT)


def test_transfer_closes_a_claimed_item(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    assert transfer(item, "sw.ali", AT).state is ItemState.TRANSFERRED


def test_an_actor_must_be_named(make_decision: MakeDecision) -> None:
    with pytest.raises(UsageError, match="must be named"):
        claim(work_item_from_dict(make_decision()), "  ", AT)


def test_events_round_trip_through_their_wire_form() -> None:
    event = HubEvent("e1", "d1", Action.OVERRIDE, "tm.cho", AT, route="caf", reason="why")
    data = event.to_dict()
    assert data["at"] == "2026-03-02T10:00:00Z"
    assert event_from_dict(data) == event


def test_an_unknown_action_is_not_applied() -> None:
    """Avro readers see UNKNOWN for actions added after them; the schema says skip them."""
    data = HubEvent("e1", "d1", Action.CLAIM, "sw.ali", AT).to_dict() | {"action": "UNKNOWN"}
    with pytest.raises(DecodeError, match="e1 is malformed"):
        event_from_dict(data)


def test_item_state_round_trips(make_decision: MakeDecision) -> None:
    item = override(
        claim(work_item_from_dict(make_decision()), "tm.cho", AT), "caf", "why", "tm.cho", AT
    )
    assert item_from_state(item_to_state(item)) == item
