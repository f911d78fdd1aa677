"""Reading the hub's topics and publishing staff events with kafka-python (adapter).

The hub is small (hundreds of items a day), so readers simply assign themselves every
partition and read from the beginning: no consumer group, no committed offsets, and the same
state for everyone who reads. kafka-python errors become :class:`mash.errors.BrokerError`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from mash.errors import BrokerError, ConfigError, MashError
from mash.hub.codec import decode_decision_message, decode_event, decode_work_item, encode_event
from mash.hub.model import HubEvent, event_from_dict, work_item_from_dict
from mash.hub.queues import Ledger
from mash.kafka import clients
from mash.topics import Topics

if TYPE_CHECKING:
    from kafka import KafkaConsumer, KafkaProducer

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 10_000
"""How long a command waits for a broker to answer at all: long enough for a busy cluster,
short enough that a person at a terminal hears about a missing broker promptly."""

Handler = Callable[[str, bytes], None]


def fold_message(ledger: Ledger, topics: Topics, topic: str, payload: bytes) -> None:
    """Decode one message of a hub topic into the ledger; a bad one is logged and skipped."""
    try:
        if topic == topics.overrides:
            ledger.apply(event_from_dict(decode_event(payload)))
        elif topic == topics.decisions:
            ledger.add_decision(decode_decision_message(payload))
        else:
            ledger.add_item(work_item_from_dict(decode_work_item(payload)))
    except MashError as exc:
        log.warning("skipped a message on %s: %s", topic, exc)


@contextlib.contextmanager
def _consumer(bootstrap: str, names: Iterable[str]) -> Iterator[KafkaConsumer]:
    """A group-less consumer assigned every partition of ``names``, at the beginning."""
    from kafka import TopicPartition
    from kafka.errors import KafkaError

    try:
        consumer = clients.consumer(
            bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id="mash-hub",
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
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in sorted(consumer.partitions_for_topic(name) or ())
        ]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        yield consumer
    except KafkaError as exc:
        raise BrokerError(f"reading hub topics from {bootstrap} failed: {exc}") from exc
    finally:
        consumer.close()


def _drain(consumer: KafkaConsumer, handle: Handler, timeout_ms: int = 500) -> int:
    count = 0
    for records in consumer.poll(timeout_ms=timeout_ms).values():
        for record in records:
            if record.value is not None:
                handle(record.topic, record.value)
                count += 1
    return count


def read_topics(bootstrap: str, names: list[str], handle: Handler, timeout_s: float = 60) -> int:
    """Read ``names`` from the beginning up to their current end; returns messages read."""
    with _consumer(bootstrap, names) as consumer:
        end = consumer.end_offsets(list(consumer.assignment()))
        deadline = time.monotonic() + timeout_s
        count = 0
        while any(consumer.position(tp) < offset for tp, offset in end.items()):
            if time.monotonic() > deadline:
                raise BrokerError(f"timed out reading hub topics from {bootstrap}")
            count += _drain(consumer, handle)
        return count


def load_ledger(bootstrap: str, topics: Topics, routes: Iterable[str] | None = None) -> Ledger:
    """The queues as they stand now, read from the queue and override topics."""
    ledger = Ledger()
    names = [topics.queue(r) for r in routes] if routes else topics.queues()
    read_topics(
        bootstrap,
        [*names, topics.overrides],
        lambda topic, payload: fold_message(ledger, topics, topic, payload),
    )
    return ledger


def follow_topics(
    bootstrap: str,
    names: list[str],
    handle: Handler,
    stop: threading.Event,
    caught_up: threading.Event | None = None,
) -> None:
    """Read ``names`` from the beginning and keep following them until ``stop`` is set."""
    with _consumer(bootstrap, names) as consumer:
        end = consumer.end_offsets(list(consumer.assignment()))
        while not stop.is_set():
            _drain(consumer, handle)
            if (
                caught_up is not None
                and not caught_up.is_set()
                and all(consumer.position(tp) >= offset for tp, offset in end.items())
            ):
                caught_up.set()


class EventPublisher:
    """Staff events to ``mash.overrides``: keyed by decision id, acks=all, idempotent."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        from kafka.errors import KafkaError

        self._topic = topics.overrides
        self._bootstrap = bootstrap
        try:
            self._producer: KafkaProducer = clients.producer(
                bootstrap,
                acks="all",
                enable_idempotence=True,
                client_id="mash-hub",
                linger_ms=0,
                bootstrap_timeout_ms=CONNECT_TIMEOUT_MS,
            )
        except KafkaError as exc:
            raise BrokerError(
                f"no Kafka broker answered at {bootstrap} ({type(exc).__name__})"
            ) from exc

    def publish(self, events: Iterable[HubEvent], timeout_s: float = 30) -> None:
        """Send in order and wait for every ack; BrokerError if any is not acknowledged."""
        from kafka.errors import KafkaError

        try:
            futures: list[Any] = [
                self._producer.send(self._topic, key=e.decision_id.encode(), value=encode_event(e))
                for e in events
            ]
            for future in futures:
                future.get(timeout=timeout_s)
        except KafkaError as exc:
            raise BrokerError(f"publishing to {self._topic} failed: {type(exc).__name__}") from exc

    def close(self) -> None:
        self._producer.close(timeout=10)
