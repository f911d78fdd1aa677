"""The SLA tracker: a Faust agent and table that follow work items and raise SLA alerts.

It is attachable to any Faust app (the stream worker's, or one of its own) through
:func:`register_tracker`, so the hub does not reach into :mod:`mash.stream`.

How "once each" is kept:

- one table row per decision id holds the item's state *and* the alerts already sent; rows are
  written to the table's changelog, so a restarted tracker reads them back before it alerts;
- the periodic timer only looks at rows of partitions this worker owns, and does nothing while
  a rebalance or table recovery is under way (it would see a half-restored table);
- rows are partitioned by the murmur2 hash of the decision id, the same partitioner Kafka's
  producers use for the queue and override topics (both keyed by decision id), so a row lives
  in the partition whose source messages this worker consumes, and the timer (which runs
  outside any stream event) can still write rows.

The alert is sent before the row records it: if the worker dies between the two, the alert is
sent again after the restart, never lost. Consumers dedupe on the alert's ``alert_id``.

Supersession needs the item a case already has. A second table, the *case index*, maps each
case (:func:`mash.hub.tracking.case_key`) to the newest decision id seen for it. It is a table
rather than a dict rebuilt from the rows because its changelog brings it back in the same
recovery as the rows, before any agent reads a message, so a restarted tracker never meets a
new decision with an index that is still being rebuilt (an in-memory index would need a scan of
every row after each rebalance, racing the agents). Its rows are partitioned by the case key
with the same :meth:`TrackerTable.partition_for_key`. The index and the rows it points to live
in different partitions, so supersession is exact where one tracker owns every partition (the
``mash sla track`` deployment); with several trackers, a case whose rows another worker owns is
not seen and the newer decision is tracked as an item of its own (its alerts are still sent).

Metrics (prometheus-client, the default registry; ``mash sla track --metrics-port``):
``mash_tracker_alerts_total{kind}`` counts alerts sent, ``mash_tracker_last_tick_seconds`` is
when the timer last looked at the clock; ``deploy/monitoring`` alerts on both.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import faust
from kafka.partitioner.default import murmur2
from prometheus_client import Counter, Gauge

from mash.domain.clocks import Clock, SystemClock
from mash.errors import MashError
from mash.hub import tracking
from mash.hub.codec import decode_event, decode_work_item, encode_alert
from mash.hub.model import event_from_dict, work_item_from_dict
from mash.hub.sla import AlertKind, SlaPolicy, alert_message, hub_policy
from mash.topics import Topics

log = logging.getLogger(__name__)

ALERTS_SENT = Counter(
    "mash_tracker_alerts", "Alerts the SLA tracker sent to mash.alerts, per kind.", ["kind"]
)
for _kind in AlertKind:
    ALERTS_SENT.labels(kind=_kind.value)  # every kind present from the start, at zero
LAST_TICK = Gauge(
    "mash_tracker_last_tick_seconds", "When the SLA tracker last looked at the clock (Unix time)."
)

AlertSink = Callable[[str, dict[str, Any]], Awaitable[None]]
"""Where alerts go: ``(decision_id, alert)``; the Kafka topic in production."""

Ownership = Callable[[], set[int] | None]
"""Partitions whose rows this worker alerts on; None means all (a single worker, tests)."""


def key_partition(key: str, partitions: int) -> int:
    """The partition Kafka's default partitioner gives a key: murmur2, as Java and aiokafka."""
    return (murmur2(key.encode()) & 0x7FFFFFFF) % partitions


class TrackerTable(faust.Table):
    """A table whose rows go to the key's own partition, even when written by a timer.

    Faust's default writes a row to the partition of the event being processed and refuses
    writes outside a stream; alerts come from a timer, so the row's partition is computed from
    its key instead (matching the co-partitioned source topics).
    """

    def partition_for_key(self, key: Any) -> int | None:
        partitions = self.partitions or self.app.conf.topic_partitions
        return key_partition(str(key), int(partitions))


def topic_sink(topic: faust.types.TopicT) -> AlertSink:
    """Alerts to a Kafka topic, keyed by decision id, as JSON."""

    async def send(decision_id: str, alert: dict[str, Any]) -> None:
        await topic.send(key=decision_id.encode(), value=encode_alert(alert))

    return send


@dataclass
class Tracker:
    """The registered agent, table and timer, with the tick exposed for tests."""

    app: faust.App
    table: TrackerTable
    sink: AlertSink
    clock: Clock
    owned: Ownership
    policy: SlaPolicy
    cases: TrackerTable | None = None
    queue_agent: Any = None
    event_agent: Any = None

    def row(self, decision_id: str) -> tracking.Tracked | None:
        """The tracker's record of one item (None if never seen)."""
        return tracking.from_json(self.table.get(decision_id))

    def on_routed(self, payload: bytes) -> None:
        """Fold a queue message into its row, superseding its case's older item (inside the
        queue agent's stream)."""
        item = work_item_from_dict(decode_work_item(payload))
        key = tracking.case_key(item)
        named = self.cases.get(key) if self.cases is not None else None
        current = self.row(str(named)) if named else None
        rows, newest = tracking.route_in_case(self.row(item.decision_id), item, current)
        for decision_id, row in rows.items():
            self.table[decision_id] = tracking.to_json(row)
        if newest is not None and self.cases is not None and newest != named:
            self.cases[key] = newest

    def on_event(self, payload: bytes) -> None:
        """Fold a staff event into its row (inside the override agent's stream)."""
        event = event_from_dict(decode_event(payload))
        self.table[event.decision_id] = tracking.to_json(
            tracking.on_event(self.row(event.decision_id), event)
        )

    async def tick(self) -> int:
        """Send every alert that has fallen due; returns how many were sent."""
        owned = self.owned()
        now = self.clock.now()
        LAST_TICK.set(now.timestamp())
        sent = 0
        for key, value in list(self.table.items()):
            if owned is not None and self.table.partition_for_key(key) not in owned:
                continue
            if not tracking.may_need_alert(value):
                continue  # decided long ago: no need to parse the row every tick
            sent += await self._alert(str(key), now)
        return sent

    async def _alert(self, key: str, now: datetime) -> int:
        row = self.row(key)
        if row is None or row.item is None:
            return 0
        kinds = tracking.due(row, now, self.policy)
        for kind in kinds:
            await self.sink(key, alert_message(row.item, kind, now, self.policy))
            ALERTS_SENT.labels(kind=kind.value).inc()
            log.info("SLA %s for %s", kind.value, key)
        if kinds:
            self.table[key] = tracking.to_json(tracking.mark_sent(row, kinds, now))
        return len(kinds)


def _assigned_partitions(app: faust.App, topic: str) -> Ownership:
    def owned() -> set[int] | None:
        if app.rebalancing or app.in_recovery:
            return set()
        return {tp.partition for tp in app.assignor.assigned_actives() if tp.topic == topic}

    return owned


def register_tracker(
    app: faust.App,
    topics: Topics,
    *,
    clock: Clock | None = None,
    interval: float = 30.0,
    partitions: int | None = None,
    sink: AlertSink | None = None,
    owned: Ownership | None = None,
    policy: SlaPolicy | None = None,
) -> Tracker:
    """Add the tracker's agent, table and timer to ``app``; returns the :class:`Tracker`.

    ``partitions`` must equal the queue topics' partition count (``MASH_PARTITIONS``).
    ``sink`` and ``owned`` default to the alerts topic and this worker's assigned partitions;
    tests pass an in-memory sink and ``lambda: None``. ``policy`` defaults to working time
    of the England and Wales calendar (:func:`mash.hub.sla.hub_policy`), with the emergency
    duty team's time from ``MASH_EDT_HOURS``.
    """
    queue_topics = topics.queues()
    table = TrackerTable(
        app,
        name=f"{topics.prefix}mash-hub-tracker",
        default=None,
        partitions=partitions,
        help="SLA tracker: one row per work item (state and alerts sent).",
    )
    app.tables.add(table)
    cases = TrackerTable(
        app,
        name=f"{topics.prefix}mash-hub-tracker-cases",
        default=None,
        partitions=partitions,
        help="SLA tracker: the newest decision id of each referral and child (supersession).",
    )
    app.tables.add(cases)
    if policy is None:
        from mash.config import edt_window

        policy = hub_policy(edt=edt_window())
    alerts = app.topic(topics.alerts, key_serializer="raw", value_serializer="raw")
    tracker = Tracker(
        app=app,
        table=table,
        sink=sink if sink is not None else topic_sink(alerts),
        clock=clock or SystemClock(),
        owned=owned if owned is not None else _assigned_partitions(app, queue_topics[0]),
        policy=policy,
        cases=cases,
    )
    queues = app.topic(*queue_topics, key_serializer="raw", value_serializer="raw")
    overrides = app.topic(topics.overrides, key_serializer="raw", value_serializer="raw")
    tracker.queue_agent = app.agent(queues, name=f"{topics.prefix}mash-hub-track-queues")(
        _follow(tracker.on_routed)
    )
    tracker.event_agent = app.agent(overrides, name=f"{topics.prefix}mash-hub-track-events")(
        _follow(tracker.on_event)
    )
    app.timer(interval, name=f"{topics.prefix}mash-hub-sla-timer")(tracker.tick)
    return tracker


def _follow(handle: Callable[[bytes], None]) -> Callable[[faust.StreamT[bytes]], Awaitable[None]]:
    """An agent body that folds each message with ``handle``; a bad message is logged, skipped."""

    async def follow(stream: faust.StreamT[bytes]) -> None:
        async for payload in stream:
            try:
                handle(payload)
            except MashError as exc:  # one bad message must not stop the tracker
                log.warning("SLA tracker skipped a message: %s", exc)

    return follow
