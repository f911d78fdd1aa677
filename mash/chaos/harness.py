"""The imperative shell of a chaos run: publish while tracking acknowledgements, wait for the
log to catch up, read topics back. Faults themselves live in :mod:`mash.chaos.scenarios`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import TopicPartition

from mash.chaos.processes import Message, Worker
from mash.domain.decision import DecisionRecord
from mash.kafka import clients

SETTLE_STALL_S = 45.0
"""How long the decision log may stand still, with input outstanding, before a run gives up
waiting: longer than a worker restart plus a rebalance (session timeout 6 s) on 2 cores."""


@dataclass
class Sent:
    """Where the broker put one acknowledged message."""

    partition: int
    offset: int


@dataclass
class Feed:
    """Publishes ``messages`` paced (``chunk`` per ``pause_s``) from a thread, as an agency
    does: acks=all, idempotent, retrying through broker outages. Only messages the broker
    ACKNOWLEDGED count as published: a send that fails after its retries is the agency's to
    resend, not the hub's to decide."""

    bootstrap: str
    messages: Sequence[Message]
    chunk: int = 100
    pause_s: float = 0.5
    acked: dict[int, Sent] = field(default_factory=dict)
    failed: dict[int, str] = field(default_factory=dict)
    done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, daemon=True, name="chaos-feed")
        self._thread.start()

    def join(self, timeout_s: float = 600.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout_s)

    def _run(self) -> None:
        producer = clients.producer(
            self.bootstrap,
            acks="all",
            enable_idempotence=True,
            linger_ms=5,
            retries=2**31 - 1,
            request_timeout_ms=15000,
            delivery_timeout_ms=180000,
            reconnect_backoff_max_ms=2000,
        )
        try:
            for start in range(0, len(self.messages), self.chunk):
                for i in range(start, min(start + self.chunk, len(self.messages))):
                    topic, key, value = self.messages[i]
                    future = producer.send(topic, key=key, value=value)
                    future.add_callback(self._ok, i)
                    future.add_errback(self._failed, i)
                producer.flush(200)
                time.sleep(self.pause_s)
            producer.flush(200)
        finally:
            producer.close(30)
            self.done.set()

    def _ok(self, i: int, metadata: Any) -> None:
        self.acked[i] = Sent(metadata.partition, metadata.offset)

    def _failed(self, i: int, exc: BaseException) -> None:
        self.failed[i] = type(exc).__name__


def read_topic(bootstrap: str, name: str, quiet_s: float = 3.0) -> list[Any]:
    """Every message on topic ``name`` now: read from the start until ``quiet_s`` is silent."""
    consumer = clients.consumer(
        bootstrap,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
    )
    try:
        partitions = [
            TopicPartition(name, p) for p in sorted(consumer.partitions_for_topic(name) or set())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        out: list[Any] = []
        last = time.monotonic()
        while time.monotonic() - last < quiet_s:
            batches = consumer.poll(timeout_ms=500, max_records=5000)
            for messages in batches.values():
                out += messages
                last = time.monotonic()
        return out
    finally:
        consumer.close()


def logged_decisions(db_url: str) -> list[DecisionRecord]:
    from mash.audit.store import open_log

    with open_log(db_url) as log:
        return list(log.iter_decisions())


def logged_count(db_url: str) -> int:
    from mash.audit.store import open_log

    try:
        with open_log(db_url) as log:
            return log.count()
    except Exception:  # the sink may be creating the tables right now
        return 0


def wait_for_log(
    db_url: str, target: int, keep_alive: Callable[[], None], stall_s: float = SETTLE_STALL_S
) -> int:
    """Wait until the log holds ``target`` decisions, or stops growing for ``stall_s``.

    ``keep_alive`` runs on every poll (it restarts whatever the scenario wants running), so a
    scenario that leaves a process dead is not mistaken for a slow one."""
    seen, moved = -1, time.monotonic()
    while True:
        keep_alive()
        now = logged_count(db_url)
        if now >= target:
            return now
        if now != seen:
            seen, moved = now, time.monotonic()
        elif time.monotonic() - moved > stall_s:
            return now
        time.sleep(1.0)


def drain(sink: Worker, timeout_s: float = 300.0) -> int:
    """Wait for a sink started with ``--until-idle`` to exit; its exit code."""
    return sink.wait(timeout_s)
