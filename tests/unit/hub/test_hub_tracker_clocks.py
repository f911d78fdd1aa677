"""The five-working-day front-door clock and the emergency duty team's out-of-hours clock, in
the pure SLA module and in the tracker, on an injected clock, across tracker restarts."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import pytest

from mash.avro import encode_decision
from mash.config import edt_window
from mash.domain.clocks import FixedClock, WorkingCalendar, deadline_for
from mash.errors import ConfigError
from mash.hub import tracking
from mash.hub.codec import encode_event
from mash.hub.model import (
    Action,
    HubEvent,
    ItemState,
    claim,
    confirm,
    release,
    work_item_from_dict,
)
from mash.hub.sla import (
    AlertKind,
    SlaPolicy,
    alert_message,
    beyond_five_days,
    clock_alerts_due,
    edt_alerts_due,
    front_door_alerts_due,
)
from mash.hub.tracker import Tracker, register_tracker
from mash.kafka import PLAINTEXT, clients
from mash.topics import Topics

MakeDecision = Callable[..., dict[str, Any]]
CALENDAR = WorkingCalendar(holidays=set())
POLICY = SlaPolicy(CALENDAR)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # GMT: UTC is local time
FIVE_DAYS = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # close of the 5th working day after Monday
# 80% of the 48 office hours from Monday 09:00 to the next Monday 17:00 is 38h24m: Friday 15:24.
FRONT_DOOR_WARNING = datetime(2026, 3, 6, 15, 24, tzinfo=UTC)
SATURDAY_NIGHT = datetime(2026, 3, 7, 2, 0, tzinfo=UTC)  # out of hours


def _item(make_decision: MakeDecision, route: str, received: datetime) -> Any:
    deadline = deadline_for(route, received, CALENDAR)
    return work_item_from_dict(make_decision(route=route, received_at=received, deadline=deadline))


# ------------------------------------------------------------------------------------ pure


def test_the_front_door_clock_runs_to_the_fifth_working_day_in_working_time() -> None:
    assert POLICY.front_door(MONDAY) == (FRONT_DOOR_WARNING, FIVE_DAYS)


def test_a_decided_child_still_in_the_front_door_gets_the_front_door_alerts(
    make_decision: MakeDecision,
) -> None:
    item = _item(make_decision, "assessment", MONDAY)
    decided = confirm(claim(item, "sw.ali", MONDAY), "sw.ali", MONDAY)
    before = FRONT_DOOR_WARNING - timedelta(minutes=1)
    assert front_door_alerts_due(decided, [], before, POLICY) == []
    assert front_door_alerts_due(decided, [], FRONT_DOOR_WARNING, POLICY) == [
        AlertKind.FRONT_DOOR_WARNING
    ]
    late = FIVE_DAYS + timedelta(seconds=1)
    assert front_door_alerts_due(decided, ["FRONT_DOOR_WARNING"], late, POLICY) == [
        AlertKind.FRONT_DOOR_BREACH
    ]
    assert clock_alerts_due(decided, [], late, POLICY) == [
        AlertKind.FRONT_DOOR_WARNING,
        AlertKind.FRONT_DOOR_BREACH,
    ]  # no decision-clock alerts: it is decided
    alert = alert_message(decided, AlertKind.FRONT_DOOR_BREACH, late, POLICY)
    assert alert["alert_id"] == f"{item.decision_id}:FRONT_DOOR_BREACH"
    assert alert["deadline"] == "2026-03-09T17:00:00Z"
    assert alert["warning_at"] == "2026-03-06T15:24:00Z"


def test_the_children_beyond_five_working_days_are_listed_longest_overdue_first(
    make_decision: MakeDecision,
) -> None:
    older = _item(make_decision, "caf", MONDAY - timedelta(days=7))
    decided = confirm(claim(_item(make_decision, "assessment", MONDAY), "a", MONDAY), "a", MONDAY)
    fresh = _item(make_decision, "caf", MONDAY + timedelta(days=3))
    now = FIVE_DAYS + timedelta(hours=1)
    beyond = beyond_five_days([fresh, decided, older], now, POLICY)
    assert [b.decision_id for b in beyond] == [older.decision_id, decided.decision_id]
    assert beyond[1].to_dict()["overdue_seconds"] == 3600
    assert beyond[1].to_dict()["state"] == "confirmed"


def test_an_out_of_hours_s47_child_is_dispatched_to_the_edt_with_an_hour_to_pick_up(
    make_decision: MakeDecision,
) -> None:
    item = _item(make_decision, "s47", SATURDAY_NIGHT)
    assert POLICY.dispatched_to_edt(item)
    assert edt_alerts_due(item, [], SATURDAY_NIGHT, POLICY) == [AlertKind.EDT_DISPATCH]
    at_80 = SATURDAY_NIGHT + timedelta(minutes=48)
    assert edt_alerts_due(item, ["EDT_DISPATCH"], at_80, POLICY) == [AlertKind.EDT_WARNING]
    late = SATURDAY_NIGHT + timedelta(hours=1, seconds=1)
    assert edt_alerts_due(item, ["EDT_DISPATCH", "EDT_WARNING"], late, POLICY) == [
        AlertKind.EDT_BREACH
    ]
    picked_up = claim(item, "edt.sam", SATURDAY_NIGHT + timedelta(minutes=10))
    assert edt_alerts_due(picked_up, ["EDT_DISPATCH"], late, POLICY) == []
    handed_back = release(picked_up, "edt.sam", late, "Seen at home; safe with grandmother")
    assert handed_back.state is ItemState.ROUTED  # back on the s47 queue for the morning
    assert edt_alerts_due(handed_back, ["EDT_DISPATCH"], late, POLICY) == []
    longer = SlaPolicy(CALENDAR, edt=timedelta(hours=2))
    assert edt_alerts_due(item, ["EDT_DISPATCH"], late, longer) == []
    breach = alert_message(item, AlertKind.EDT_BREACH, late, POLICY)
    assert breach["deadline"] == "2026-03-07T03:00:00Z"


def test_no_edt_in_office_hours_nor_for_other_routes(make_decision: MakeDecision) -> None:
    in_hours = _item(make_decision, "s47", MONDAY)
    assessment = _item(make_decision, "assessment", SATURDAY_NIGHT)
    later = SATURDAY_NIGHT + timedelta(days=1)
    assert edt_alerts_due(in_hours, [], later, POLICY) == []
    assert edt_alerts_due(assessment, [], later, POLICY) == []


def test_mash_edt_hours_is_read_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MASH_EDT_HOURS", raising=False)
    assert edt_window() == timedelta(hours=1)
    monkeypatch.setenv("MASH_EDT_HOURS", "0.5")
    assert edt_window() == timedelta(minutes=30)
    for bad in ("0", "-1", "soon", "nan", "25"):
        monkeypatch.setenv("MASH_EDT_HOURS", bad)
        with pytest.raises(ConfigError, match="MASH_EDT_HOURS"):
            edt_window()


def test_decided_rows_in_the_front_door_still_need_looking_at(make_decision: MakeDecision) -> None:
    item = _item(make_decision, "assessment", MONDAY)
    decided = tracking.Tracked(item=confirm(claim(item, "a", MONDAY), "a", MONDAY))
    assert tracking.may_need_alert(tracking.to_json(decided))
    both = tracking.mark_sent(decided, [AlertKind.FRONT_DOOR_WARNING, AlertKind.FRONT_DOOR_BREACH])
    assert not tracking.may_need_alert(tracking.to_json(both))
    dispatched = tracking.mark_sent(tracking.Tracked(item=item), [AlertKind.EDT_DISPATCH], MONDAY)
    assert dispatched.edt_dispatched_at == MONDAY
    assert tracking.from_json(tracking.to_json(dispatched)) == dispatched
    again = tracking.mark_sent(dispatched, [AlertKind.EDT_DISPATCH], MONDAY + timedelta(hours=1))
    assert again.edt_dispatched_at == MONDAY


# ------------------------------------------------------------------------------- tracker


class Alerts(list[dict[str, Any]]):
    async def __call__(self, decision_id: str, alert: dict[str, Any]) -> None:
        assert alert["decision_id"] == decision_id
        self.append(alert)

    def kinds(self, decision_id: str) -> list[str]:
        return [a["kind"] for a in self if a["decision_id"] == decision_id]


def _app() -> faust.App:
    return clients.faust_app(
        f"hub-clocks-test-{id(object())}",
        "127.0.0.1:1",
        security=PLAINTEXT,
        store="memory://",
        topic_partitions=2,
    )


def _tracker(clock: FixedClock, alerts: Alerts) -> Tracker:
    return register_tracker(
        _app(),
        Topics("t."),
        clock=clock,
        sink=alerts,
        owned=lambda: None,
        partitions=2,
        policy=POLICY,
    )


def restart(tracker: Tracker, clock: FixedClock, alerts: Alerts) -> Tracker:
    """A new tracker whose tables hold what changelog recovery restores (the stored JSON)."""
    again = _tracker(clock, alerts)
    for key, value in tracker.table.items():
        again.table[key] = json.loads(json.dumps(value))
    assert tracker.cases is not None and again.cases is not None
    for key, value in tracker.cases.items():
        again.cases[key] = value
    return again


def _event(decision_id: str, n: int, action: Action, at: datetime, **fields: Any) -> bytes:
    return encode_event(
        HubEvent(f"ev-{decision_id}-{n}", decision_id, action, "sw.ali", at, **fields)
    )


async def _walk(tracker: Tracker, clock: FixedClock, until: datetime, step: timedelta) -> Tracker:
    while clock.now() < until:
        clock.advance(step)
        await tracker.tick()
    return tracker


async def test_the_out_of_hours_breach_fires_once_across_restarts(
    make_decision: MakeDecision,
) -> None:
    clock = FixedClock(SATURDAY_NIGHT)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    decision = make_decision(
        route="s47",
        received_at=SATURDAY_NIGHT,
        deadline=deadline_for("s47", SATURDAY_NIGHT, CALENDAR),
    )
    key = decision["decision_id"]
    async with tracker.queue_agent.test_context() as queues:
        await queues.put(encode_decision(decision), key=key.encode())
    assert await tracker.tick() == 1  # dispatched the moment it is seen
    row = tracker.row(key)
    assert row is not None and row.edt_dispatched_at == SATURDAY_NIGHT
    assert tracker.table[key]["edt_dispatched_at"] == "2026-03-07T02:00:00Z"
    await _walk(tracker, clock, SATURDAY_NIGHT + timedelta(minutes=50), timedelta(minutes=5))
    assert alerts.kinds(key) == ["EDT_DISPATCH", "EDT_WARNING"]
    tracker = restart(tracker, clock, alerts)
    await _walk(tracker, clock, SATURDAY_NIGHT + timedelta(minutes=65), timedelta(minutes=5))
    assert alerts.kinds(key) == ["EDT_DISPATCH", "EDT_WARNING", "EDT_BREACH"]
    tracker = restart(tracker, clock, alerts)
    await _walk(tracker, clock, SATURDAY_NIGHT + timedelta(hours=5), timedelta(minutes=10))
    assert alerts.kinds(key) == ["EDT_DISPATCH", "EDT_WARNING", "EDT_BREACH"]
    # still on the s47 queue in the morning, and it says it went to the EDT
    row = tracker.row(key)
    assert row is not None and row.item is not None and row.item.route == "s47"
    assert row.edt_dispatched_at == SATURDAY_NIGHT


async def test_a_claim_by_the_edt_stops_its_clock(make_decision: MakeDecision) -> None:
    clock = FixedClock(SATURDAY_NIGHT)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    decision = make_decision(route="s47", received_at=SATURDAY_NIGHT)
    key = decision["decision_id"]
    async with (
        tracker.queue_agent.test_context() as queues,
        tracker.event_agent.test_context() as events,
    ):
        await queues.put(encode_decision(decision), key=key.encode())
        await tracker.tick()
        clock.advance(timedelta(minutes=20))
        await events.put(_event(key, 1, Action.CLAIM, clock.now()), key=key.encode())
    await _walk(tracker, clock, SATURDAY_NIGHT + timedelta(hours=3), timedelta(minutes=10))
    assert alerts.kinds(key)[:1] == ["EDT_DISPATCH"]
    assert "EDT_WARNING" not in alerts.kinds(key) and "EDT_BREACH" not in alerts.kinds(key)


async def test_the_five_day_breach_fires_once_across_restarts_even_when_decided(
    make_decision: MakeDecision,
) -> None:
    clock = FixedClock(MONDAY)
    alerts = Alerts()
    tracker = _tracker(clock, alerts)
    kept, transferred = (
        make_decision(received_at=MONDAY, deadline=deadline_for("assessment", MONDAY, CALENDAR))
        for _ in range(2)
    )
    async with (
        tracker.queue_agent.test_context() as queues,
        tracker.event_agent.test_context() as events,
    ):
        for decision in (kept, transferred):
            key = decision["decision_id"]
            await queues.put(encode_decision(decision), key=key.encode())
            await events.put(_event(key, 1, Action.CLAIM, MONDAY), key=key.encode())
            await events.put(
                _event(key, 2, Action.CONFIRM, MONDAY, route="assessment"), key=key.encode()
            )
        key = transferred["decision_id"]
        await events.put(_event(key, 3, Action.TRANSFER, MONDAY), key=key.encode())
    kept_id, gone_id = kept["decision_id"], transferred["decision_id"]
    await _walk(tracker, clock, FRONT_DOOR_WARNING + timedelta(minutes=30), timedelta(hours=1))
    assert alerts.kinds(kept_id) == ["FRONT_DOOR_WARNING"]
    tracker = restart(tracker, clock, alerts)
    await _walk(tracker, clock, FIVE_DAYS + timedelta(hours=2), timedelta(hours=1))
    assert alerts.kinds(kept_id) == ["FRONT_DOOR_WARNING", "FRONT_DOOR_BREACH"]
    tracker = restart(tracker, clock, alerts)
    await _walk(tracker, clock, FIVE_DAYS + timedelta(days=3), timedelta(hours=1))
    assert alerts.kinds(kept_id) == ["FRONT_DOOR_WARNING", "FRONT_DOOR_BREACH"]
    assert alerts.kinds(gone_id) == []
    row = tracker.row(gone_id)
    assert row is not None and row.item is not None and row.item.state is ItemState.TRANSFERRED
    assert not tracking.may_need_alert(tracker.table[gone_id])
    assert not tracking.may_need_alert(tracker.table[kept_id])


async def test_the_tracker_counts_the_alerts_it_sends_by_kind(make_decision: MakeDecision) -> None:
    from prometheus_client import REGISTRY

    def sent(kind: str) -> float:
        value = REGISTRY.get_sample_value("mash_tracker_alerts_total", {"kind": kind})
        return value or 0.0

    before = sent("EDT_DISPATCH")
    clock = FixedClock(SATURDAY_NIGHT)
    tracker = _tracker(clock, Alerts())
    decision = make_decision(route="s47", received_at=SATURDAY_NIGHT)
    async with tracker.queue_agent.test_context() as queues:
        await queues.put(encode_decision(decision), key=decision["decision_id"].encode())
    await tracker.tick()
    await tracker.tick()
    assert sent("EDT_DISPATCH") == before + 1
    tick = REGISTRY.get_sample_value("mash_tracker_last_tick_seconds")
    assert tick == SATURDAY_NIGHT.timestamp()


def test_mash_sla_beyond_lists_the_children_past_five_working_days(
    make_decision: MakeDecision, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from mash.hub import commands
    from mash.hub.queues import Ledger

    ledger = Ledger()
    overdue = _item(make_decision, "caf", MONDAY)
    fresh = _item(make_decision, "caf", FIVE_DAYS)
    for item in (overdue, fresh):
        ledger.add_item(item)
    now = FIVE_DAYS + timedelta(days=1)
    monkeypatch.setattr(commands, "_context", lambda: (None, now))
    monkeypatch.setattr(commands, "_ledger", lambda settings, routes=None: ledger)
    result = CliRunner().invoke(commands.sla_app, ["beyond", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["decision_id"] for line in lines] == [overdue.decision_id]
    table = CliRunner().invoke(commands.sla_app, ["beyond"])
    assert table.exit_code == 0 and "Beyond five working days: 1" in table.output
