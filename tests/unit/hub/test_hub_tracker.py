"""The SLA tracker (Faust agents, table and timer) driven by an injected clock.

Faust's ``test_context`` feeds the agents without a broker; the table lives in ``memory://``.
Messages are in their wire form: decisions and staff events as Confluent-framed Avro.
The timer's body (:meth:`Tracker.tick`) is called directly after moving the clock, which is
what the periodic timer does in a worker.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import faust
import pytest

from mash.avro import encode_decision
from mash.domain.clocks import FixedClock
from mash.hub.codec import encode_event
from mash.hub.model import Action, HubEvent
from mash.hub.sla import ELAPSED
from mash.hub.tracker import Tracker, key_partition, register_tracker
from mash.kafka import PLAINTEXT, clients
from mash.topics import Topics

MakeDecision = Callable[..., dict[str, Any]]
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
DEADLINE = START + timedelta(hours=10)


class Alerts(list[dict[str, Any]]):
    """The alert sink: what the tracker would have put on mash.alerts."""

    async def __call__(self, decision_id: str, alert: dict[str, Any]) -> None:
        assert alert["decision_id"] == decision_id
        self.append(alert)

    def kinds(self, decision_id: str) -> list[str]:
        return [a["kind"] for a in self if a["decision_id"] == decision_id]


def _app() -> faust.App:
    # The broker address is never contacted: test_context feeds agents directly.
    return clients.faust_app(
        f"hub-tracker-test-{id(object())}",
        "127.0.0.1:1",
        security=PLAINTEXT,
        store="memory://",
        topic_partitions=2,
    )


@pytest.fixture
async def setup() -> AsyncIterator[tuple[Tracker, FixedClock, Alerts]]:
    clock = FixedClock(START)
    alerts = Alerts()
    tracker = register_tracker(
        _app(),
        Topics("t."),
        clock=clock,
        sink=alerts,
        owned=lambda: None,
        partitions=2,
        policy=ELAPSED,
    )
    yield tracker, clock, alerts


def _event(decision_id: str, n: int, action: Action, route: str | None = None) -> bytes:
    event = HubEvent(f"ev-{decision_id}-{n}", decision_id, action, "sw.ali", START, route=route)
    return encode_event(event)


async def test_one_warning_and_one_breach_for_an_unclaimed_item_none_for_a_confirmed_one(
    setup: tuple[Tracker, FixedClock, Alerts], make_decision: MakeDecision
) -> None:
    tracker, clock, alerts = setup
    waiting = make_decision(received_at=START, deadline=DEADLINE)
    handled = make_decision(received_at=START, deadline=DEADLINE)
    waiting_id, handled_id = waiting["decision_id"], handled["decision_id"]
    async with (
        tracker.queue_agent.test_context() as queues,
        tracker.event_agent.test_context() as events,
    ):
        for decision in (waiting, handled):
            await queues.put(encode_decision(decision), key=decision["decision_id"].encode())
        await events.put(_event(handled_id, 1, Action.CLAIM), key=handled_id.encode())
        await events.put(
            _event(handled_id, 2, Action.CONFIRM, "assessment"), key=handled_id.encode()
        )
        for _ in range(24 * 6):  # every ten minutes for a day, as the timer would
            clock.advance(timedelta(minutes=10))
            await tracker.tick()
        # a redelivered queue message (a replay upstream) must not start the clock again
        await queues.put(encode_decision(waiting), key=waiting_id.encode())
        await tracker.tick()
    assert alerts.kinds(waiting_id) == ["SLA_WARNING", "SLA_BREACH"]
    assert alerts.kinds(handled_id) == []
    warning, breach = alerts
    assert datetime.fromisoformat(warning["at"]) >= START + timedelta(hours=8)
    assert datetime.fromisoformat(breach["at"]) > DEADLINE


async def test_alerts_sent_are_remembered_in_the_table(
    setup: tuple[Tracker, FixedClock, Alerts], make_decision: MakeDecision
) -> None:
    """A restarted tracker reads its rows back; the row must say what was already sent."""
    tracker, clock, alerts = setup
    decision = make_decision(received_at=START, deadline=DEADLINE)
    async with tracker.queue_agent.test_context() as queues:
        await queues.put(encode_decision(decision), key=decision["decision_id"].encode())
        clock.advance(timedelta(hours=9))
        assert await tracker.tick() == 1
    stored = tracker.table[decision["decision_id"]]
    assert stored["sent"] == ["SLA_WARNING"]
    restarted = register_tracker(
        _app(),
        Topics("t."),
        clock=clock,
        sink=alerts,
        owned=lambda: None,
        partitions=2,
        policy=ELAPSED,
    )
    restarted.table[decision["decision_id"]] = stored  # what changelog recovery restores
    clock.advance(timedelta(hours=2))
    assert await restarted.tick() == 1
    assert [a["kind"] for a in alerts] == ["SLA_WARNING", "SLA_BREACH"]


async def test_events_before_their_item_are_kept_until_it_arrives(
    setup: tuple[Tracker, FixedClock, Alerts], make_decision: MakeDecision
) -> None:
    tracker, clock, alerts = setup
    decision = make_decision(received_at=START, deadline=DEADLINE)
    key = decision["decision_id"]
    async with (
        tracker.queue_agent.test_context() as queues,
        tracker.event_agent.test_context() as events,
    ):
        await events.put(_event(key, 1, Action.CLAIM), key=key.encode())
        await events.put(_event(key, 2, Action.OVERRIDE, "caf"), key=key.encode())
        await queues.put(encode_decision(decision), key=key.encode())
        clock.advance(timedelta(days=1))
        await tracker.tick()
    row = tracker.row(key)
    assert row is not None and row.item is not None
    assert row.item.state.value == "claimed"  # the override without a reason was refused
    assert alerts.kinds(key) == ["SLA_WARNING", "SLA_BREACH"]


async def test_a_bad_message_is_skipped_not_fatal(
    setup: tuple[Tracker, FixedClock, Alerts], make_decision: MakeDecision
) -> None:
    tracker, _, _ = setup
    decision = make_decision(received_at=START, deadline=DEADLINE)
    async with tracker.queue_agent.test_context() as queues:
        await queues.put(b"\x00\x00\x00\x00\x01garbage", key=b"x")
        await queues.put(b'{"decision_id": "no-deadline"}', key=b"no-deadline")
        await queues.put(encode_decision(decision), key=decision["decision_id"].encode())
    assert list(tracker.table.keys()) == [decision["decision_id"]]


def test_rows_go_to_the_partition_kafka_gives_their_key() -> None:
    """The partition aiokafka's producer (the stream worker's, via Faust) gives a key: a row
    must live in the partition of its item's queue message."""
    from aiokafka.partitioner import DefaultPartitioner

    partitions = list(range(6))
    spread = set()
    for n in range(50):
        key = f"decision-{n}"
        expected = DefaultPartitioner()(key.encode(), partitions, partitions)
        assert key_partition(key, 6) == expected
        spread.add(expected)
    assert len(spread) > 1
