"""Supersession in the SLA tracker: a newer decision for the same referral and child replaces
the item still in the front door, through the case index (a table that survives a restart)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust

from mash.avro import encode_decision
from mash.domain.clocks import FixedClock
from mash.hub import tracking
from mash.hub.codec import encode_event
from mash.hub.model import Action, HubEvent, ItemState, work_item_from_dict
from mash.hub.sla import ELAPSED
from mash.hub.tracker import Tracker, register_tracker
from mash.kafka import PLAINTEXT, clients
from mash.topics import Topics

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = START + timedelta(hours=10)


class Alerts(list[dict[str, Any]]):
    async def __call__(self, decision_id: str, alert: dict[str, Any]) -> None:
        self.append(alert)

    def kinds(self, decision_id: str) -> list[str]:
        return [a["kind"] for a in self if a["decision_id"] == decision_id]


def _tracker(clock: FixedClock, alerts: Alerts) -> Tracker:
    app: faust.App = clients.faust_app(
        f"hub-supersede-test-{id(object())}",
        "127.0.0.1:1",
        security=PLAINTEXT,
        store="memory://",
        topic_partitions=2,
    )
    return register_tracker(
        app,
        Topics("t."),
        clock=clock,
        sink=alerts,
        owned=lambda: None,
        partitions=2,
        policy=ELAPSED,
    )


def _restart(tracker: Tracker, clock: FixedClock, alerts: Alerts) -> Tracker:
    again = _tracker(clock, alerts)
    for key, value in tracker.table.items():
        again.table[key] = json.loads(json.dumps(value))
    assert tracker.cases is not None and again.cases is not None
    for key, value in tracker.cases.items():
        again.cases[key] = value
    return again


def _pair(make_decision: MakeDecision) -> tuple[dict[str, Any], dict[str, Any]]:
    """An older decision and a newer one (a correction, an hour later) for one child."""
    older = make_decision(received_at=START, deadline=DEADLINE)
    newer = make_decision(
        received_at=START + timedelta(hours=1), deadline=DEADLINE + timedelta(hours=5)
    )
    newer["source_id"] = older["source_id"]
    return older, newer


async def _route(tracker: Tracker, *decisions: dict[str, Any]) -> None:
    async with tracker.queue_agent.test_context() as queues:
        for decision in decisions:
            await queues.put(encode_decision(decision), key=decision["decision_id"].encode())


async def _events(tracker: Tracker, decision_id: str, *actions: Action) -> None:
    async with tracker.event_agent.test_context() as events:
        for n, action in enumerate(actions):
            route = "assessment" if action is Action.CONFIRM else None
            event = HubEvent(
                f"{decision_id}-{n}", decision_id, action, "sw.ali", START, route=route
            )
            await events.put(encode_event(event), key=decision_id.encode())


def _row(tracker: Tracker, decision_id: str) -> tracking.Tracked:
    row = tracker.row(decision_id)
    assert row is not None and row.item is not None
    return row


async def test_a_newer_decision_supersedes_and_inherits_clock_claim_and_alerts(
    make_decision: MakeDecision,
) -> None:
    clock = FixedClock(START)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    older, newer = _pair(make_decision)
    old_id, new_id = older["decision_id"], newer["decision_id"]
    await _route(tracker, older)
    await _events(tracker, old_id, Action.CLAIM)
    clock.advance(timedelta(hours=8, minutes=30))
    await tracker.tick()
    assert alerts.kinds(old_id) == ["SLA_WARNING"]
    await _route(tracker, newer)
    ended, replacing = _row(tracker, old_id), _row(tracker, new_id)
    assert ended.item is not None and replacing.item is not None
    assert ended.item.state is ItemState.SUPERSEDED and ended.item.superseded_by == new_id
    assert replacing.item.received_at == START and replacing.item.deadline == DEADLINE
    assert replacing.item.state is ItemState.CLAIMED and replacing.item.claimed_by == "sw.ali"
    assert replacing.item.supersedes == (old_id,)
    assert "SLA_WARNING" in replacing.sent
    assert tracker.cases is not None
    assert tracker.cases[tracking.case_key(replacing.item)] == new_id
    assert not tracking.may_need_alert(tracker.table[old_id])
    for _ in range(12):
        clock.advance(timedelta(hours=1))
        await tracker.tick()
    assert alerts.kinds(old_id) == ["SLA_WARNING"]  # nothing more for the superseded item
    assert alerts.kinds(new_id) == ["SLA_BREACH"]  # the earlier deadline; no second warning
    await _route(tracker, older, newer)  # redelivered: nothing changes, nothing reopens
    assert _row(tracker, old_id).item == ended.item


async def test_an_older_decision_arriving_late_ends_superseded_at_once(
    make_decision: MakeDecision,
) -> None:
    clock = FixedClock(START)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    older, newer = _pair(make_decision)
    old_id, new_id = older["decision_id"], newer["decision_id"]
    await _route(tracker, newer)
    await _events(tracker, new_id, Action.CLAIM, Action.CONFIRM)
    await _events(tracker, old_id, Action.CLAIM)  # an event for the late one, before it
    await _route(tracker, older)
    late, kept = _row(tracker, old_id), _row(tracker, new_id)
    assert late.item is not None and kept.item is not None
    assert late.item.state is ItemState.SUPERSEDED and late.item.superseded_by == new_id
    assert kept.item.state is ItemState.CONFIRMED  # not reopened
    assert kept.item.received_at == START and kept.item.deadline == DEADLINE
    assert tracker.cases is not None
    assert tracker.cases[tracking.case_key(kept.item)] == new_id
    clock.advance(timedelta(days=1))
    await tracker.tick()
    assert alerts.kinds(old_id) == [] and alerts.kinds(new_id) == []


async def test_an_item_that_left_the_front_door_is_not_superseded(
    make_decision: MakeDecision,
) -> None:
    clock = FixedClock(START)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    older, newer = _pair(make_decision)
    old_id, new_id = older["decision_id"], newer["decision_id"]
    await _route(tracker, older)
    await _events(tracker, old_id, Action.CLAIM, Action.CONFIRM, Action.TRANSFER)
    await _route(tracker, newer)
    gone, fresh = _row(tracker, old_id), _row(tracker, new_id)
    assert gone.item is not None and fresh.item is not None
    assert gone.item.state is ItemState.TRANSFERRED and gone.item.superseded_by is None
    assert fresh.item.state is ItemState.ROUTED and fresh.item.supersedes == ()
    assert fresh.item.received_at == START + timedelta(hours=1)
    clock.advance(timedelta(days=1))
    await tracker.tick()
    assert alerts.kinds(new_id) == ["SLA_WARNING", "SLA_BREACH"]
    assert alerts.kinds(old_id) == []


async def test_the_case_index_survives_a_restart(make_decision: MakeDecision) -> None:
    clock = FixedClock(START)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    older, newer = _pair(make_decision)
    other = make_decision(received_at=START, deadline=DEADLINE)  # another child
    old_id, new_id = older["decision_id"], newer["decision_id"]
    await _route(tracker, older, other)
    tracker = _restart(tracker, clock, alerts)
    await _route(tracker, newer)
    ended = _row(tracker, old_id).item
    assert ended is not None and ended.state is ItemState.SUPERSEDED
    untouched = _row(tracker, other["decision_id"]).item
    assert untouched is not None and untouched.state is ItemState.ROUTED
    clock.advance(timedelta(days=1))
    await tracker.tick()
    assert alerts.kinds(old_id) == []
    assert alerts.kinds(new_id) == ["SLA_WARNING", "SLA_BREACH"]


def test_route_in_case_pure(make_decision: MakeDecision) -> None:
    older_d, newer_d = _pair(make_decision)
    older, newer = work_item_from_dict(older_d), work_item_from_dict(newer_d)
    assert tracking.case_key(older) == tracking.case_key(newer)
    first, named = tracking.route_in_case(None, older, None)
    assert named == older.decision_id and set(first) == {older.decision_id}
    current = first[older.decision_id]
    rows, named = tracking.route_in_case(None, newer, current)
    assert named == newer.decision_id and set(rows) == {older.decision_id, newer.decision_id}
    assert tracking.route_in_case(rows[newer.decision_id], newer, current) == ({}, None)
