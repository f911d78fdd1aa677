"""Staff events held until their decision is logged (``entries.Holding``): no broker needed.

What the sink relies on: an event waits until its decision is logged, events come out in the
order they were read, one whose decision never comes gives up after the hold time, and a
partition's position (``floor``) never passes an event that is still waiting.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mash.audit.entries import Holding, OverrideEvent, not_logged_reason
from mash.errors import InvalidDecision

OVERRIDES_0 = ("mash.overrides", 0)
OVERRIDES_1 = ("mash.overrides", 1)


def staff(event_id: str, decision_id: str, action: str = "CONFIRM") -> OverrideEvent:
    fields: dict[str, Any] = {"route": "s47", "reason": "Strategy meeting agreed."}
    return OverrideEvent.from_mapping(
        {
            "event_id": event_id,
            "decision_id": decision_id,
            "action": action,
            "actor": "sw.jones",
            "at": datetime(2026, 5, 20, 11, 0, tzinfo=UTC),
            **(fields if action == "OVERRIDE" else {}),
        }
    )


def ids(held: list[Any]) -> list[str]:
    return [h.event.event_id for h in held]


def test_an_event_waits_until_its_decision_is_logged() -> None:
    holding: Holding[str] = Holding(hold_s=300)
    holding.hold(staff("evt-1", "dec-1"), OVERRIDES_0, 7, "message-7", now=0.0)
    assert holding.release(set()) == []
    assert holding.release({"dec-2"}) == []
    assert len(holding) == 1 and holding.waiting_for() == {"dec-1"}
    released = holding.release({"dec-1"})
    assert ids(released) == ["evt-1"]
    assert (released[0].source, released[0].offset, released[0].message) == (
        OVERRIDES_0,
        7,
        "message-7",
    )
    assert len(holding) == 0 and holding.floor() == {}


def test_events_come_out_in_the_order_they_were_read() -> None:
    holding: Holding[None] = Holding(hold_s=300)
    holding.hold(staff("evt-1", "dec-1"), OVERRIDES_0, 1, None, now=1.0)
    holding.hold(staff("evt-2", "dec-2", "OVERRIDE"), OVERRIDES_1, 4, None, now=2.0)
    holding.hold(staff("evt-3", "dec-1", "OVERRIDE"), OVERRIDES_0, 2, None, now=3.0)
    holding.hold(staff("evt-4", "dec-3"), OVERRIDES_0, 3, None, now=4.0)
    assert ids(holding.release({"dec-1", "dec-2"})) == ["evt-1", "evt-2", "evt-3"]
    assert ids(holding.release({"dec-3"})) == ["evt-4"]


def test_the_position_stays_at_the_oldest_event_still_held() -> None:
    holding: Holding[None] = Holding(hold_s=300)
    holding.hold(staff("evt-1", "dec-unknown"), OVERRIDES_0, 10, None, now=0.0)
    holding.hold(staff("evt-2", "dec-2"), OVERRIDES_0, 11, None, now=0.0)
    holding.hold(staff("evt-3", "dec-3"), OVERRIDES_1, 5, None, now=0.0)
    assert holding.floor() == {OVERRIDES_0: 10, OVERRIDES_1: 5}
    holding.release({"dec-2", "dec-3"})  # a later event logged: the position must not pass 10
    assert holding.floor() == {OVERRIDES_0: 10}
    holding.hold(staff("evt-4", "dec-4"), OVERRIDES_0, 12, None, now=1.0)
    assert holding.floor() == {OVERRIDES_0: 10}


def test_an_event_whose_decision_never_comes_expires_after_the_hold_time() -> None:
    holding: Holding[None] = Holding(hold_s=30)
    holding.hold(staff("evt-1", "dec-forged"), OVERRIDES_0, 3, None, now=100.0)
    holding.hold(staff("evt-2", "dec-late"), OVERRIDES_0, 4, None, now=110.0)
    assert holding.expire(now=129.9) == []
    assert ids(holding.expire(now=130.0)) == ["evt-1"]
    assert holding.floor() == {OVERRIDES_0: 4}  # the partition moves on, to the next waiting
    assert ids(holding.release({"dec-late"})) == ["evt-2"]
    assert holding.expire(now=1000.0) == [] and len(holding) == 0


def test_an_offset_already_held_is_not_held_twice() -> None:
    holding: Holding[None] = Holding(hold_s=300)
    assert holding.hold(staff("evt-1", "dec-1"), OVERRIDES_0, 5, None, now=0.0)
    assert not holding.hold(staff("evt-1", "dec-1"), OVERRIDES_0, 5, None, now=1.0)
    assert not holding.hold(staff("evt-0", "dec-1"), OVERRIDES_0, 4, None, now=1.0)
    assert holding.hold(staff("evt-1", "dec-1"), OVERRIDES_1, 5, None, now=1.0)
    assert ids(holding.release({"dec-1"})) == ["evt-1", "evt-1"]


def test_the_reason_names_ids_only_and_the_wait() -> None:
    reason = not_logged_reason(staff("evt-9", "dec-404", "OVERRIDE"), 300.0)
    assert reason == (
        "override event evt-9: decision dec-404 is not in the log after waiting 300s; not applied"
    )
    assert "Strategy meeting" not in reason and "sw.jones" not in reason


@pytest.mark.parametrize(
    ("action", "extra", "hands_off"),
    [
        ("CONFIRM", {}, False),
        ("CLAIM", {}, False),
        ("TRANSFER", {"destination": "ASSESSMENT_TEAM"}, True),
        ("CLOSE", {"close_reason": "SIGNPOSTED", "reason": "Leaflet"}, True),
        ("APPROVE", {}, False),
        ("APPROVE", {"close_reason": "NO_FURTHER_ACTION"}, True),
    ],
)
def test_a_transfer_or_a_close_hands_the_child_off(
    action: str, extra: dict[str, Any], hands_off: bool
) -> None:
    event = {"event_id": "e", "decision_id": "d", "action": action, "actor": "sw", **extra}
    event["at"] = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)
    assert OverrideEvent.from_mapping(event).hands_off is hands_off


@pytest.mark.parametrize(
    ("action", "needs"),
    [("TRANSFER", "destination"), ("CLOSE", "close_reason and reason"), ("REFUSE", "reason")],
)
def test_a_hand_off_or_refusal_without_its_fields_is_refused_when_read(
    action: str, needs: str
) -> None:
    with pytest.raises(InvalidDecision, match=f"{action} needs {needs}"):
        staff("evt-1", "dec-1", action)


def test_an_override_without_a_reason_is_refused_when_read_not_when_its_decision_comes() -> None:
    with pytest.raises(InvalidDecision, match="evt-1: OVERRIDE needs route and reason"):
        OverrideEvent.from_mapping(
            {
                "event_id": "evt-1",
                "decision_id": "dec-1",
                "action": "OVERRIDE",
                "route": "caf",
                "actor": "sw.jones",
                "at": "2026-05-20T11:00:00Z",
            }
        )
