"""Small topics read whole and written one acknowledged message at a time (kafka-python).

Why: the hub's queues and the dead-letter queue are small (hundreds of items a day), so their
readers (the CLI, the board) simply assign themselves every partition and read from offset 0:
no group, no committed offsets, and the same state for everyone who reads. Both read a topic
up to its current end (:func:`read_records`) or keep following it (:func:`follow_records`),
handed each record whole (topic, partition, offset, timestamp, value); what staff do is sent
by :func:`acked_producer`'s producer, each send waited for. This module is the one place that
does these things. kafka-python errors become :class:`mash.errors.BrokerError`, a missing
topic a :class:`mash.errors.ConfigError`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mash.errors import BrokerError, ConfigError
from mash.kafka import clients

if TYPE_CHECKING:
    from kafka import KafkaConsumer, KafkaProducer

CONNECT_TIMEOUT_MS = 10_000
"""How long a command waits for a broker to answer at all: long enough for a busy cluster,
short enough that a person at a terminal hears about a missing broker promptly."""


@dataclass(frozen=True, slots=True)
class Record:
    """One message as read: where it is, its Kafka timestamp (None if it has none), its value."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    value: bytes


RecordHandler = Callable[[Record], None]


@contextlib.contextmanager
def beginning(bootstrap: str, names: list[str], client_id: str) -> Iterator[KafkaConsumer]:
    """A group-less consumer assigned every partition of ``names``, at the beginning."""
    from kafka import TopicPartition
    from kafka.errors import KafkaError

    try:
        consumer = clients.consumer(
            bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id=client_id,
            request_timeout_ms=30000,
            bootstrap_timeout_ms=CONNECT_TIMEOUT_MS,
        )
    except KafkaError as exc:
        reason = type(exc).__name__
        raise BrokerError(f"no Kafka broker answered at {bootstrap} ({reason})") from exc
    try:
        known = consumer.topics()
        missing = [n for n in names if n not in known]
        if missing:
            raise ConfigError(f"topic {missing[0]} does not exist: run `mash topics create`")
        consumer.assign(
            [
                TopicPartition(name, p)
                for name in names
                for p in sorted(consumer.partitions_for_topic(name) or ())
            ]
        )
        consumer.seek_to_beginning()
        yield consumer
    except KafkaError as exc:
        raise BrokerError(f"reading {', '.join(names)} from {bootstrap} failed: {exc}") from exc
    finally:
        consumer.close()


def _drain(consumer: KafkaConsumer, handle: RecordHandler, timeout_ms: int = 500) -> int:
    count = 0
    for records in consumer.poll(timeout_ms=timeout_ms).values():
        for r in records:
            if r.value is not None:
                stamp = r.timestamp if r.timestamp is not None and r.timestamp >= 0 else None
                handle(Record(r.topic, r.partition, r.offset, stamp, r.value))
                count += 1
    return count


def read_records(
    bootstrap: str,
    names: list[str],
    handle: RecordHandler,
    client_id: str,
    timeout_s: float = 60,
) -> int:
    """Read ``names`` from the beginning up to their current end; returns messages read."""
    with beginning(bootstrap, names, client_id) as consumer:
        end = consumer.end_offsets(list(consumer.assignment()))
        deadline = time.monotonic() + timeout_s
        count = 0
        while any(consumer.position(tp) < offset for tp, offset in end.items()):
            if time.monotonic() > deadline:
                raise BrokerError(f"timed out reading {', '.join(names)} from {bootstrap}")
            count += _drain(consumer, handle)
        return count


def follow_records(
    bootstrap: str,
    names: list[str],
    handle: RecordHandler,
    stop: threading.Event,
    client_id: str,
    caught_up: threading.Event | None = None,
) -> None:
    """Read ``names`` from the beginning and keep following them until ``stop`` is set;
    ``caught_up`` is set once everything there was at the start has been read."""
    with beginning(bootstrap, names, client_id) as consumer:
        end = consumer.end_offsets(list(consumer.assignment()))
        while not stop.is_set():
            _drain(consumer, handle)
            if (
                caught_up is not None
                and not caught_up.is_set()
                and all(consumer.position(tp) >= offset for tp, offset in end.items())
            ):
                caught_up.set()


def acked_producer(bootstrap: str, client_id: str) -> KafkaProducer:
    """A producer for what a person did: acks=all, idempotent, no lingering (a person waits
    for it); BrokerError when no broker answers."""
    from kafka.errors import KafkaError

    try:
        return clients.producer(
            bootstrap,
            acks="all",
            enable_idempotence=True,
            client_id=client_id,
            linger_ms=0,
            bootstrap_timeout_ms=CONNECT_TIMEOUT_MS,
        )
    except KafkaError as exc:
        raise BrokerError(
            f"no Kafka broker answered at {bootstrap} ({type(exc).__name__})"
        ) from exc
