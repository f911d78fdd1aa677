"""``mash sink``: copy ``mash.decisions`` and ``mash.overrides`` into the decision log.

Exactly once, without Kafka transactions: the consumer's position is stored in the *database*,
in the same transaction as the entries it covers, and on every (re)assignment the consumer
seeks to the position the database holds. A crash at any point therefore either committed a
batch with its offsets, or neither; the next run resumes right after the last committed
entry. A decision id seen again (a worker replay) is skipped by the log, so nothing is
duplicated either. Kafka's own group offsets are never trusted for this (a fresh database
reads from the beginning); they are committed only so that operators can watch the lag.

A staff event (CONFIRM, OVERRIDE) read before the decision it acts on is held in memory
(``entries.Holding``) and logged, after that decision, once the decision is logged. Its
partition's stored position stays at the oldest event still held, so a crash re-reads every
held event; events after it that were logged meanwhile are re-read too and dropped, since
their event ids are already in the log. An event whose decision does not arrive within
``hold_s`` (a forged or mistyped decision id) is dead-lettered, and the position moves on.

A message that cannot be decoded or validated goes to ``mash.deadletter`` with the reason
(produced and flushed *before* the batch's offsets commit, so it is never lost), and the sink
goes on. A database that is down is waited for, with backoff, forever: the sink never skips
(:func:`mash.retry.retry_until_database_and_broker_are_back`).
Logs carry ids, counts and offsets, never decision content.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType
from typing import Any, TypeVar

from mash.audit.entries import (
    Held,
    Holding,
    OverrideEvent,
    Prepared,
    Source,
    not_logged_reason,
    override_entry,
    prepare_entry,
)
from mash.audit.handoff import feedback_of, outcome_of
from mash.audit.store import DecisionLog
from mash.domain.decision import DecisionRecord
from mash.errors import AuditError, BrokerError, InvalidDecision, MashError
from mash.kafka import ClientSecurity, clients
from mash.retry import Sleep, Stopped, retry_until_database_and_broker_are_back, until_set
from mash.topics import Topics

Outgoing = tuple[str, bytes | None, bytes]
"""A message the sink publishes: (topic, key, value)."""

log = logging.getLogger("mash.sink")

T = TypeVar("T")
Decoder = Callable[[bytes], Mapping[str, Any]]
PARTITION_CHECK_S = 30.0
HOLD_S = 300.0
# Held staff events are asked for in the log again this often, even when no new message came:
# a decision may reach the log some other way than through this sink.
RECHECK_S = 2.0
# Staff events waiting in memory at most: beyond this, the overrides partitions are paused
# (decisions go on being read, and release them), so a long replay cannot exhaust memory.
MAX_HELD = 10_000


@dataclass(frozen=True)
class SinkConfig:
    """Where to read from and how to batch."""

    bootstrap: str
    topics: Topics
    group: str = "mash-sink"
    batch: int = 500
    max_wait_ms: int = 200
    until_idle_s: float | None = None
    hold_s: float = HOLD_S
    security: ClientSecurity | None = None  # None: this process's MASH_SECURITY_* settings


@dataclass(frozen=True)
class Codec:
    """How messages are read and dead letters written (Avro subjects of schemas/mash)."""

    decode_decision: Decoder
    decode_override: Decoder
    encode_deadletter: Callable[[Mapping[str, Any]], bytes]
    encode_outcome: Callable[[Mapping[str, Any]], bytes]
    encode_feedback: Callable[[Mapping[str, Any]], bytes]

    @classmethod
    def avro(cls) -> Codec:
        from mash.avro import Registry, decode_decision

        registry = Registry.default()
        return cls(
            decode_decision=lambda payload: decode_decision(payload, registry=registry),
            decode_override=lambda payload: registry.decode(payload, "override"),
            encode_deadletter=lambda record: registry.encode("deadletter", dict(record)),
            encode_outcome=lambda record: registry.encode("outcome", dict(record)),
            encode_feedback=lambda record: registry.encode("feedback", dict(record)),
        )


@dataclass
class Batch:
    """What has been read since the last commit."""

    decisions: list[Prepared] = field(default_factory=list)
    overrides: list[tuple[OverrideEvent, Any]] = field(default_factory=list)  # to log
    deadletters: list[tuple[Any, str, str]] = field(default_factory=list)
    offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    messages: int = 0

    def __len__(self) -> int:
        return self.messages


def _why(exc: Exception) -> str:
    """A dead-letter reason: our errors say what was wrong without values; others by type."""
    if isinstance(exc, MashError):
        return str(exc)[:500]
    return f"unexpected {type(exc).__name__} while decoding"


def deadletter_record(message: Any, stage: str, reason: str) -> dict[str, Any]:
    """The ``deadletter`` subject's record for one consumed message."""
    stamp = getattr(message, "timestamp", None)
    sent = None if stamp is None or stamp < 0 else datetime.fromtimestamp(stamp / 1000, UTC)
    return {
        "source_topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": sent,
        "key": message.key,
        "value": message.value,
        "headers": [{"key": k, "value": v} for k, v in (message.headers or [])],
        "stage": stage,
        "reason": reason,
        "failed_at": datetime.now(UTC),
        "worker": f"mash-sink@{socket.gethostname()}/{os.getpid()}",
    }


class Sink:
    """The consume -> log loop; see the module docstring for its guarantees."""

    def __init__(
        self,
        config: SinkConfig,
        store: DecisionLog,
        codec: Codec,
        *,
        wait: Sleep | None = None,
    ) -> None:
        """``wait`` pauses between retries; the default ends early when the sink is stopped
        (and the failing operation then raises ``AuditError``). Tests pass one that returns."""
        self.config = config
        self.store = store
        self.codec = codec
        self.batch = Batch()
        self.stopping = threading.Event()
        self._wait = wait or until_set(self.stopping)
        self.consumer: Any = None
        self.producer: Any = None
        self.logged = 0
        self.deadlettered = 0
        self.last_read: float | None = None  # set once partitions are assigned
        self.next_partition_check = 0.0
        self.holding: Holding[Any] = Holding(config.hold_s)
        self.overrides_read: dict[Source, int] = {}  # next offset read, per overrides partition
        self.next_recheck = 0.0

    # --- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """Consume until stopped (SIGTERM/SIGINT) or, with until_idle_s, until caught up."""
        self.consumer = self._consumer()
        try:
            while not self.stopping.is_set():
                if time.monotonic() >= self.next_partition_check:
                    self._assign()
                self._fill()
                if len(self.batch):
                    self.last_read = time.monotonic()
                self.flush()
                self._throttle_overrides()
                if self._idle_long_enough():
                    break
        finally:
            self._close()

    def _idle_long_enough(self) -> bool:
        """With until_idle_s: nothing read for that long, and no staff event still held.

        A held event is work in hand: it is logged or dead-lettered (within ``hold_s``)
        before an idle sink stops, so a run that ends has settled everything it read.
        """
        limit = self.config.until_idle_s
        if limit is None or self.last_read is None or len(self.holding):
            return False
        idle_for = time.monotonic() - self.last_read
        if idle_for >= limit:
            log.info("idle for %.1fs: stopping", idle_for)
        return idle_for >= limit

    def stop(self, *_: Any) -> None:
        self.stopping.set()

    def _fill(self) -> None:
        deadline = time.monotonic() + self.config.max_wait_ms / 1000
        while len(self.batch) < self.config.batch and not self.stopping.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            records = self.consumer.poll(
                timeout_ms=max(1, int(remaining * 1000)),
                max_records=self.config.batch - len(self.batch),
            )
            for messages in records.values():
                for message in messages:
                    self._take(message)

    def _take(self, message: Any) -> None:
        """Decode one message into the batch (or its dead letters), and advance its offset."""
        batch = self.batch
        batch.messages += 1
        batch.offsets[(message.topic, message.partition)] = message.offset + 1
        try:
            if message.topic == self.config.topics.overrides:
                event = OverrideEvent.from_mapping(self.codec.decode_override(message.value))
                batch.overrides.append((event, message))
            else:
                batch.decisions.append(prepare_entry(self.codec.decode_decision(message.value)))
        except Exception as exc:  # a poison message must never stop the log
            stage = "validate" if isinstance(exc, InvalidDecision) else "decode"
            batch.deadletters.append((message, stage, _why(exc)))

    # --- committing ------------------------------------------------------------------------

    def flush(self) -> None:
        """Dead letters out first, then entries and offsets in one database transaction.

        Staff events are logged after the decisions of the same batch, and only once their
        decision is logged; the events still held keep their partitions' positions back.
        """
        batch = self.batch
        now = time.monotonic()
        logged = self._hold(batch, now)
        ready = self.holding.release(logged)
        expired = self.holding.expire(now)
        if not (len(batch) or ready or expired):
            return
        entries = batch.decisions + self._override_entries(ready, logged, batch)
        batch.deadletters += [
            (held.message, "validate", not_logged_reason(held.event, self.holding.hold_s))
            for held in expired
        ]
        offsets = self._positions(batch.offsets)
        if batch.deadletters:
            self._retry(lambda: self._send_deadletters(batch.deadletters), "dead-lettering")
        handoffs = self._handoffs(entries)
        if handoffs:
            # Before the log commits its offsets: a crash re-reads the events and sends again
            # (at least once; consumers dedupe on outcome_id), never loses a hand-off.
            self._retry(lambda: self._send(handoffs, "hand-offs"), "publishing hand-offs")
        new = self._retry(lambda: self.store.append_with_offsets(entries, offsets), "appending")
        self.logged += new
        self.deadlettered += len(batch.deadletters)
        log.info(
            "logged %d new entries of %d, %d dead letters, %d staff events held, offsets %s",
            new,
            len(entries),
            len(batch.deadletters),
            len(self.holding),
            {f"{t}/{p}": o for (t, p), o in sorted(offsets.items())},
        )
        self._commit_for_monitoring(offsets)
        self.batch = Batch()

    def _hold(self, batch: Batch, now: float) -> dict[str, DecisionRecord]:
        """Hold the batch's staff events; return the logged decisions held events act on.

        The log is asked when new events arrive and every ``RECHECK_S``; in between, the
        decisions of the batch are what can release a held event. An event whose own id is
        already in the log was logged before a restart and is re-read: nothing to do.
        """
        known: dict[str, DecisionRecord] = {}
        if batch.overrides or (len(self.holding) and now >= self.next_recheck):
            self.next_recheck = now + RECHECK_S
            wanted = self.holding.waiting_for()
            for event, _ in batch.overrides:
                wanted.update((event.decision_id, event.event_id))
            known.update(
                self._retry(lambda: self.store.get_many(sorted(wanted)), "reading decisions")
            )
        for event, message in batch.overrides:
            if event.event_id not in known:
                where = (message.topic, message.partition)
                self.holding.hold(event, where, message.offset, message, now)
        known.update({d.decision_id: d.decision for d in batch.decisions})
        return known

    def _override_entries(
        self, ready: list[Held[Any]], logged: Mapping[str, DecisionRecord], batch: Batch
    ) -> list[Prepared]:
        entries = []
        for held in ready:
            try:
                entry = override_entry(held.event, logged[held.event.decision_id])
            except MashError as exc:
                batch.deadletters.append((held.message, "validate", _why(exc)))
                continue
            entries.append(prepare_entry(entry))
        return entries

    def _positions(self, read: Mapping[Source, int]) -> dict[Source, int]:
        """The offsets to store: as read, but an overrides partition stops at its oldest
        event still held, so that a crash re-reads it (never past an event not logged)."""
        overrides = self.config.topics.overrides
        self.overrides_read.update({s: o for s, o in read.items() if s[0] == overrides})
        floor = self.holding.floor()
        return {**read, **{s: floor.get(s, o) for s, o in self.overrides_read.items()}}

    def _retry(self, action: Callable[[], T], what: str) -> T:
        """Run ``action`` until it succeeds: a database or broker outage is waited out."""
        try:
            return retry_until_database_and_broker_are_back(what, log, self._wait)(action)
        except Stopped:
            raise AuditError(f"stopped while {what} was failing; nothing was committed") from None

    # --- Kafka -----------------------------------------------------------------------------

    def _consumer(self) -> Any:
        """A consumer that reads every partition, placed where the log says.

        No group membership: the chain is one sequence under one lock, so a second sink on
        the same log adds nothing, and positions live in the database anyway. Assigning the
        partitions ourselves removes the group join, which kafka-python 3.0.12 was seen to
        leave without an assignment under load, and the wait for a dead member's session
        after a crash. The group id stays only for the monitoring commits.
        """
        from kafka.errors import KafkaError

        try:
            self.consumer = clients.consumer(
                self.config.bootstrap,
                security=self.config.security,
                group_id=self.config.group,
                client_id="mash-sink",
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                max_poll_records=self.config.batch,
            )
            self._assign()
        except KafkaError as exc:
            raise BrokerError(f"cannot consume from {self.config.bootstrap}: {exc}") from exc
        return self.consumer

    def _assign(self) -> None:
        """Take every partition of the two topics, seeking each to the log's position.

        Called at start and then every ``PARTITION_CHECK_S``: a partition added to a topic
        is picked up without a restart. The batch in hand is flushed first, so the database
        holds the position of every partition that is (re)placed.
        """
        from kafka import TopicPartition

        topics = self.config.topics
        found = _partitions(self.consumer, [topics.decisions, topics.overrides])
        wanted = {TopicPartition(topic, p) for topic, partitions in found for p in partitions}
        self.next_partition_check = time.monotonic() + PARTITION_CHECK_S
        if wanted == set(self.consumer.assignment()):
            return
        self.flush()
        self.consumer.assign(sorted(wanted))
        self.seek_to_log(wanted)

    def seek_to_log(self, assigned: Any) -> None:
        """Seek each assigned partition to the next offset the log holds (or the start).

        Held events are let go: the stored positions are at or before each of them, so
        they are read (and held) again.
        """
        self.holding = Holding(self.config.hold_s)
        self.overrides_read = {}
        by_topic: dict[str, list[Any]] = {}
        for tp in assigned:
            by_topic.setdefault(tp.topic, []).append(tp)
        for topic, partitions in by_topic.items():
            logged = self._logged_offsets(topic)
            for tp in partitions:
                if tp.partition in logged:
                    self.consumer.seek(tp, logged[tp.partition])
                else:
                    self.consumer.seek_to_beginning(tp)
        log.info("assigned %s", sorted(f"{tp.topic}/{tp.partition}" for tp in assigned))
        if assigned:
            self.last_read = time.monotonic()

    def _throttle_overrides(self) -> None:
        """Pause the overrides partitions while ``MAX_HELD`` events wait; resume below it."""
        full = len(self.holding) >= MAX_HELD
        paused = self.consumer.paused()
        if full and not paused:
            topic = self.config.topics.overrides
            self.consumer.pause(*[tp for tp in self.consumer.assignment() if tp.topic == topic])
            log.warning("%d staff events wait for their decisions: pausing %s", MAX_HELD, topic)
        elif paused and not full:
            self.consumer.resume(*paused)

    def _logged_offsets(self, topic: str) -> dict[int, int]:
        return self._retry(lambda: self.store.committed_offsets(topic), "reading offsets")

    def _handoffs(self, entries: list[Prepared]) -> list[Outgoing]:
        """The outcome and the referrer's feedback of every hand-off among ``entries``."""
        topics, codec = self.config.topics, self.codec
        messages: list[Outgoing] = []
        for entry in entries:
            outcome = outcome_of(entry.decision)
            if outcome is None:
                continue
            feedback = feedback_of(outcome)
            key = outcome["decision_id"].encode()
            messages.append((topics.outcomes, key, codec.encode_outcome(outcome)))
            messages.append(
                (
                    topics.feedback(outcome["agency"]),
                    outcome["source_id"].encode(),
                    codec.encode_feedback(feedback),
                )
            )
        return messages

    def _send_deadletters(self, letters: list[tuple[Any, str, str]]) -> None:
        messages: list[Outgoing] = []
        for message, stage, reason in letters:
            record = deadletter_record(message, stage, reason)
            value = self.codec.encode_deadletter(record)
            messages.append((self.config.topics.deadletter, message.key, value))
            log.warning(
                "dead-lettered %s/%d@%d: %s",
                message.topic,
                message.partition,
                message.offset,
                reason,
            )
        self._send(messages, "dead letters")

    def _send(self, messages: list[Outgoing], what: str) -> None:
        """Publish ``messages`` and wait for every acknowledgement (acks=all)."""
        from kafka.errors import KafkaError

        try:
            if self.producer is None:
                self.producer = clients.producer(
                    self.config.bootstrap,
                    security=self.config.security,
                    client_id="mash-sink-deadletter",
                    acks="all",
                )
            futures = [self.producer.send(t, key=k, value=v) for t, k, v in messages]
            self.producer.flush()
            for future in futures:
                future.get(timeout=30)
        except KafkaError as exc:
            raise BrokerError(f"cannot write {what}: {exc}") from exc

    def _commit_for_monitoring(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Mirror the positions to Kafka so lag tools work; the database stays the truth."""
        from kafka import OffsetAndMetadata, TopicPartition

        try:
            self.consumer.commit_async(
                {
                    TopicPartition(t, p): OffsetAndMetadata(o, "", -1)
                    for (t, p), o in offsets.items()
                }
            )
        except Exception as exc:  # monitoring only: never let it stop the log
            log.debug("monitoring commit skipped: %s", type(exc).__name__)

    def _close(self) -> None:
        if self.consumer is not None:
            self.consumer.close(autocommit=False)
        if self.producer is not None:
            self.producer.close(timeout=10)


def _partitions(
    consumer: Any, topics: list[str], timeout_s: float = 60.0
) -> list[tuple[str, set[int]]]:
    """Each topic's partition numbers, waiting for a topic that the broker does not know yet."""
    deadline = time.monotonic() + timeout_s
    found = []
    for topic in topics:
        while not (partitions := consumer.partitions_for_topic(topic)):
            if time.monotonic() > deadline:
                raise BrokerError(f"topic {topic} has no partitions: run `mash topics create`")
            time.sleep(0.2)
        found.append((topic, set(partitions)))
    return found


def run_sink(config: SinkConfig, store: DecisionLog, codec: Codec | None = None) -> Sink:
    """Run a sink in this process until SIGTERM/SIGINT (or idle, if configured)."""
    sink = Sink(config, store, codec or Codec.avro())

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %d: finishing the current batch", signum)
        sink.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _stop)
    sink.run()
    return sink
