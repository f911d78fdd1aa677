"""The work-item state machine: routed -> claimed -> decided -> transferred | closed, with
managers' approval of what lowers a child's protection, and supersession."""

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
    approve,
    claim,
    close,
    confirm,
    event_from_dict,
    item_from_state,
    item_to_state,
    override,
    refuse,
    release,
    supersede,
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


def test_a_transfer_needs_a_decision_and_goes_to_the_routes_team(
    make_decision: MakeDecision,
) -> None:
    claimed = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    with pytest.raises(StateError, match="confirm or override its route first"):
        transfer(claimed, "sw.ali", AT)
    done = transfer(confirm(claimed, "sw.ali", AT), "sw.ali", AT)
    assert (done.state, done.destination, done.ended_by) == (
        ItemState.TRANSFERRED,
        "ASSESSMENT_TEAM",
        "sw.ali",
    )
    assert not done.in_front_door and not done.is_open
    with pytest.raises(StateError, match="already transferred"):
        transfer(done, "sw.ali", AT)


def test_a_transfer_may_not_step_a_child_down(make_decision: MakeDecision) -> None:
    decided = confirm(
        claim(work_item_from_dict(make_decision(route="s47")), "sw.ali", AT), "sw.ali", AT
    )
    with pytest.raises(UsageError, match="EARLY_HELP_HUB takes caf children"):
        transfer(decided, "sw.ali", AT, "EARLY_HELP_HUB")
    with pytest.raises(UsageError, match="unknown destination"):
        transfer(decided, "sw.ali", AT, "THE_MOON")


def test_another_local_authority_must_be_named(make_decision: MakeDecision) -> None:
    decided = confirm(
        claim(work_item_from_dict(make_decision(route="caf")), "sw.ali", AT), "sw.ali", AT
    )
    with pytest.raises(UsageError, match="name the other local authority"):
        transfer(decided, "sw.ali", AT, "OTHER_LOCAL_AUTHORITY")
    done = transfer(decided, "sw.ali", AT, "OTHER_LOCAL_AUTHORITY", " Leeds City Council ")
    assert (done.destination, done.detail) == ("OTHER_LOCAL_AUTHORITY", "Leeds City Council")


def test_a_step_down_waits_for_another_person_and_a_refusal_returns_it(
    make_decision: MakeDecision,
) -> None:
    item = claim(work_item_from_dict(make_decision(route="assessment")), "sw.ali", AT)
    waiting = override(item, "caf", "Family accept early help", "sw.ali", AT, "ev-1")
    assert waiting.state is ItemState.AWAITING_APPROVAL and waiting.is_open
    assert waiting.route == "assessment"  # nothing takes effect before approval
    assert waiting.request is not None and waiting.request.route == "caf"
    assert "step down from assessment to caf" in waiting.request.why
    with pytest.raises(StateError, match="another person than the one who made it"):
        approve(waiting, "sw.ali", AT)
    with pytest.raises(StateError, match="awaits a manager's approval"):
        confirm(waiting, "sw.ali", AT)
    with pytest.raises(UsageError, match="refusal needs a reason"):
        refuse(waiting, "tm.cho", AT, " ")
    back = refuse(waiting, "tm.cho", AT, "Police report a second incident")
    assert (back.state, back.claimed_by, back.route, back.request) == (
        ItemState.CLAIMED,
        "sw.ali",
        "assessment",
        None,
    )
    assert back.refused == "Police report a second incident"
    approved = approve(override(back, "caf", "Again", "sw.ali", AT, "ev-2"), "tm.cho", AT)
    assert (approved.state, approved.route, approved.decided_by, approved.approved_by) == (
        ItemState.OVERRIDDEN,
        "caf",
        "sw.ali",
        "tm.cho",
    )


def test_raising_a_route_never_waits(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision(route="caf")), "sw.ali", AT)
    assert override(item, "s47", "Disclosure", "sw.ali", AT).state is ItemState.OVERRIDDEN


def test_confirming_a_stepped_down_route_waits_for_a_manager(make_decision: MakeDecision) -> None:
    decision = make_decision(route="caf", flags=("STEP_DOWN:assessment",))
    item = claim(work_item_from_dict(decision), "sw.ali", AT)
    waiting = confirm(item, "sw.ali", AT, "ev-1")
    assert waiting.state is ItemState.AWAITING_APPROVAL
    assert waiting.request is not None and "asked for assessment" in waiting.request.why
    assert approve(waiting, "tm.cho", AT).state is ItemState.CONFIRMED
    # raising it to what the referrer asked for needs nobody
    assert override(item, "assessment", "As asked", "sw.ali", AT).state is ItemState.OVERRIDDEN


@pytest.mark.parametrize(
    ("route", "code", "waits"),
    [
        ("caf", "NO_FURTHER_ACTION", True),
        ("caf", "SIGNPOSTED", False),
        ("universal", "ADVICE_GIVEN", False),
        ("assessment", "DUPLICATE", True),
        ("s47", "SIGNPOSTED", True),
    ],
)
def test_which_closes_wait_for_a_manager(
    make_decision: MakeDecision, route: str, code: str, waits: bool
) -> None:
    decided = confirm(
        claim(work_item_from_dict(make_decision(route=route)), "sw.ali", AT), "sw.ali", AT
    )
    closed = close(decided, code, "Spoke to school", "sw.ali", AT, "ev-9")
    assert (closed.state is ItemState.AWAITING_APPROVAL) is waits
    if waits:
        closed = approve(closed, "tm.cho", AT)
    assert (closed.state, closed.close_reason, closed.ended_by) == (
        ItemState.CLOSED,
        code,
        "sw.ali",
    )
    assert closed.approved_by == ("tm.cho" if waits else None)


def test_a_close_needs_a_known_code_and_words(make_decision: MakeDecision) -> None:
    decided = confirm(
        claim(work_item_from_dict(make_decision(route="caf")), "sw.ali", AT), "sw.ali", AT
    )
    with pytest.raises(UsageError, match="reason code"):
        close(decided, "BORED", "x", "sw.ali", AT)
    with pytest.raises(UsageError, match="reason in words"):
        close(decided, "SIGNPOSTED", "", "sw.ali", AT)


def test_a_newer_decision_supersedes_keeping_the_first_receipt_and_the_claim(
    make_decision: MakeDecision,
) -> None:
    first = claim(work_item_from_dict(make_decision(route="caf")), "sw.ali", AT)
    second = work_item_from_dict(make_decision(route="s47", received_at=AT))
    ended, replacing = supersede(first, second)
    assert (ended.state, ended.superseded_by) == (ItemState.SUPERSEDED, second.decision_id)
    assert not ended.in_front_door
    assert replacing.supersedes == (first.decision_id,)
    assert (replacing.state, replacing.claimed_by) == (ItemState.CLAIMED, "sw.ali")
    assert replacing.received_at == min(first.received_at, second.received_at)
    assert replacing.deadline == min(first.deadline, second.deadline)


def test_state_round_trips_with_a_request_and_a_hand_off(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision()), "sw.ali", AT)
    waiting = override(item, "universal", "Advice only", "sw.ali", AT, "ev-1")
    assert item_from_state(item_to_state(waiting)) == waiting
    done = transfer(confirm(item, "sw.ali", AT), "sw.ali", AT)
    assert item_from_state(item_to_state(done)) == done


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


def test_a_claimed_item_is_handed_back_with_what_was_done(make_decision: MakeDecision) -> None:
    item = claim(work_item_from_dict(make_decision(route="s47")), "edt.kim", AT)
    with pytest.raises(UsageError, match="say what was done"):
        release(item, "edt.kim", AT, "  ")
    back = release(item, "edt.kim", AT, "Visited at 22:00; child safe with grandmother")
    assert (back.state, back.claimed_by, back.route) == (ItemState.ROUTED, None, "s47")
    assert back.handed_back == "edt.kim: Visited at 22:00; child safe with grandmother"
    assert claim(back, "sw.ali", AT).claimed_by == "sw.ali"  # the hub takes it on in the morning
    with pytest.raises(StateError, match="claim it first"):
        release(back, "sw.ali", AT, "nothing")
