"""The benchmark's Kafka plumbing (kafka-python): publish, watch end offsets, pass through,
read back, and create and delete the run's own topics.

Offsets rather than consumption measure progress: a topic the run created starts empty, so the
sum of its partitions' end offsets is the number of messages written to it, and asking for it
costs the benchmark almost no CPU on a machine whose two cores the worker and the broker need.
Every kafka-python error becomes :class:`~mash.errors.BrokerError` here.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from mash.bench.progress import Tracker
from mash.errors import BrokerError
from mash.kafka import clients

if TYPE_CHECKING:
    from kafka import KafkaConsumer, KafkaProducer, TopicPartition

Outgoing = tuple[str, bytes, bytes]
"""(topic, key, value)."""


@contextlib.contextmanager
def kafka_errors(what: str) -> Iterator[None]:
    """Translate kafka-python's errors into :class:`BrokerError` naming ``what`` failed."""
    from kafka.errors import KafkaError

    try:
        yield
    except KafkaError as exc:
        raise BrokerError(f"{what}: {type(exc).__name__}") from exc


def make_producer(bootstrap: str, **overrides: Any) -> KafkaProducer:
    """A producer as agencies and the worker use one: every write acknowledged by the broker
    (``acks=all``), batching for throughput."""
    options: dict[str, Any] = {
        "acks": "all",
        "linger_ms": 5,
        "batch_size": 256 * 1024,
        "max_request_size": 4 * 1024 * 1024,
    }
    options.update(overrides)
    with kafka_errors(f"cannot connect a producer to {bootstrap}"):
        return clients.producer(bootstrap, **options)


def make_consumer(bootstrap: str, **overrides: Any) -> KafkaConsumer:
    """A consumer outside any group (assigned partitions explicitly, commits nothing)."""
    options: dict[str, Any] = {
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        "group_id": None,
    }
    options.update(overrides)
    with kafka_errors(f"cannot connect a consumer to {bootstrap}"):
        return clients.consumer(bootstrap, **options)


def partitions_of(consumer: KafkaConsumer, topics: Iterable[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (which must exist)."""
    from kafka import TopicPartition

    found: list[TopicPartition] = []
    for topic in topics:
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            raise BrokerError(f"topic {topic} has no partitions (does it exist?)")
        found += [TopicPartition(topic, number) for number in sorted(numbers)]
    return found


def publish(
    producer: KafkaProducer, messages: Iterable[Outgoing], tracker: Tracker, step: int = 1000
) -> int:
    """Send every message, wait until all are acknowledged; how many were sent."""
    sent = 0
    with kafka_errors("publishing failed"):
        for topic, key, value in messages:
            producer.send(topic, key=key, value=value)
            sent += 1
            if sent % step == 0:
                tracker.advance(step)
        producer.flush()
    tracker.advance(sent % step)
    return sent


def publish_at_rate(
    producer: KafkaProducer, messages: Sequence[Outgoing], rate: float, tracker: Tracker
) -> float:
    """Send the messages ``rate`` per second on a fixed schedule (each message's timestamp
    is its send time); returns the achieved rate."""
    started = time.perf_counter()
    with kafka_errors("publishing failed"):
        for number, (topic, key, value) in enumerate(messages):
            due = started + number / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            producer.send(topic, key=key, value=value)
            tracker.advance()
        producer.flush()
    elapsed = time.perf_counter() - started
    return len(messages) / elapsed if elapsed > 0 else 0.0


class EndOffsets:
    """Sums of end offsets of a set of topics (messages written to them so far)."""

    def __init__(self, bootstrap: str, topics: Iterable[str]) -> None:
        self._consumer = make_consumer(bootstrap)
        with kafka_errors("cannot read partitions"):
            self.partitions = partitions_of(self._consumer, topics)

    def by_partition(self) -> dict[TopicPartition, int]:
        with kafka_errors("cannot read end offsets"):
            return dict(self._consumer.end_offsets(self.partitions))

    def total(self, topics: Iterable[str] | None = None) -> int:
        """Messages on ``topics`` (default: all of them)."""
        wanted = None if topics is None else set(topics)
        return sum(
            offset
            for tp, offset in self.by_partition().items()
            if wanted is None or tp.topic in wanted
        )

    def close(self) -> None:
        self._consumer.close()


def pass_through(
    bootstrap: str, source: str, target: str, count: int, tracker: Tracker, timeout_s: float
) -> float:
    """Consume ``count`` messages from ``source`` and produce each, bytes untouched, to
    ``target`` (acks=all); seconds from the first poll until the last is acknowledged."""
    consumer = make_consumer(
        bootstrap, fetch_max_bytes=16 * 1024 * 1024, max_partition_fetch_bytes=4 * 1024 * 1024
    )
    producer = make_producer(bootstrap)
    try:
        with kafka_errors("pass-through failed"):
            partitions = partitions_of(consumer, [source])
            consumer.assign(partitions)
            consumer.seek_to_beginning(*partitions)
            forwarded = 0
            started = time.perf_counter()
            deadline = started + timeout_s
            while forwarded < count and time.perf_counter() < deadline:
                batch = consumer.poll(timeout_ms=200, max_records=10_000)
                for records in batch.values():
                    for record in records:
                        producer.send(target, key=record.key, value=record.value)
                    forwarded += len(records)
                    tracker.advance(len(records))
            producer.flush()
            elapsed = time.perf_counter() - started
    finally:
        producer.close()
        consumer.close()
    if forwarded < count:
        raise BrokerError(
            f"pass-through moved {forwarded} of {count} messages in {timeout_s:.0f} s"
        )
    return elapsed


def read_from(
    bootstrap: str, starts: dict[TopicPartition, int], expected: int, timeout_s: float
) -> list[Any]:
    """Messages from the given offsets on, until ``expected`` have arrived or the time is up."""
    consumer = make_consumer(bootstrap, fetch_max_bytes=16 * 1024 * 1024)
    out: list[Any] = []
    try:
        with kafka_errors("reading back failed"):
            consumer.assign(list(starts))
            for tp, offset in starts.items():
                consumer.seek(tp, offset)
            deadline = time.monotonic() + timeout_s
            while len(out) < expected and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=200, max_records=10_000).values():
                    out += records
    finally:
        consumer.close()
    return out


def create_extra_topics(bootstrap: str, names: Sequence[str], partitions: int) -> None:
    """Plain topics of the benchmark's own (the pass-through's input and output)."""
    from kafka.admin import NewTopic

    from mash.broker.admin import admin_client

    with admin_client(bootstrap, timeout_s=30) as client:
        client.create_topics([NewTopic(name, partitions, 1) for name in names])


def delete_prefixed(bootstrap: str, prefix: str) -> list[str]:
    """Delete every topic whose name starts with the run's unique ``prefix`` (its own topics,
    and those Faust made for the worker's group); the names deleted."""
    from mash.broker.admin import admin_client

    if len(prefix) < 8:  # a guard: never wipe a shared broker by a short or empty prefix
        raise BrokerError(f"refusing to delete topics by the short prefix {prefix!r}")
    with admin_client(bootstrap, timeout_s=30) as client:
        names = [name for name in client.list_topics() if name.startswith(prefix)]
        if names:
            client.delete_topics(names)
    return names
