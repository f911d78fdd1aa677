"""The tracker's per-item record: folding messages, remembering alerts, its stored form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mash.hub import tracking
from mash.hub.model import Action, HubEvent, ItemState, work_item_from_dict
from mash.hub.sla import AlertKind

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_redelivered_event_is_applied_once(make_decision: MakeDecision) -> None:
    item = work_item_from_dict(make_decision())
    claim = HubEvent("e1", item.decision_id, Action.CLAIM, "sw.ali", START)
    once = tracking.on_event(tracking.on_routed(None, item), claim)
    twice = tracking.on_event(once, claim)
    assert twice == once and twice.item is not None
    assert twice.item.state is ItemState.CLAIMED


def test_the_stored_form_round_trips_and_tells_what_needs_looking_at(
    make_decision: MakeDecision,
) -> None:
    item = work_item_from_dict(
        make_decision(received_at=START, deadline=START + timedelta(hours=1))
    )
    row = tracking.on_routed(None, item)
    assert tracking.from_json(tracking.to_json(row)) == row
    assert tracking.may_need_alert(tracking.to_json(row))
    both = tracking.mark_sent(row, list(AlertKind))
    assert not tracking.may_need_alert(tracking.to_json(both))
    assert tracking.due(both, START + timedelta(days=1)) == []
    early = tracking.on_event(None, HubEvent("e1", "other", Action.CLAIM, "sw.ali", START))
    assert tracking.from_json(tracking.to_json(early)) == early
    assert not tracking.may_need_alert(tracking.to_json(early))
    assert tracking.from_json(None) is None
