"""Reading the dead-letter topics, publishing staff events and replays (kafka-python adapter).

Like the hub's readers (:mod:`mash.hub.kafka_io`), readers here assign themselves every
partition of ``mash.deadletter`` and ``mash.deadletter.events`` and read from the beginning: no
consumer group, no committed offsets, the same queue for everyone. They hand on whole records,
because a dead letter's age runs from its own timestamp and, when it does not say where it came
from, its id is its own place on the topic. kafka-python errors become
:class:`~mash.errors.BrokerError`.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from mash.deadletters.codec import decode_event, encode_event
from mash.deadletters.model import (
    DeadLetterQueue,
    LetterEvent,
    ReplayMessage,
    letter_from_record,
    unreadable_letter,
)
from mash.errors import BrokerError, MashError
from mash.kafka.small_topics import (
    Record,
    RecordHandler,
    acked_producer,
    follow_records,
    read_records,
)
from mash.topics import Topics

if TYPE_CHECKING:
    from kafka import KafkaProducer

log = logging.getLogger(__name__)

CLIENT_ID = "mash-deadletters"


def fold_record(queue: DeadLetterQueue, topics: Topics, record: Record) -> None:
    """One message of either topic into the queue. A dead letter that cannot be read is still
    put on the queue (it may be the only copy of something); a bad event is logged and
    skipped."""
    if record.topic == topics.deadletter_events:
        try:
            queue.apply(decode_event(record.value))
        except MashError as exc:
            log.warning("skipped a message on %s: %s", record.topic, exc)
        return
    from mash.avro.deadletter import decode_deadletter

    topic, partition, offset = record.topic, record.partition, record.offset
    try:
        letter = letter_from_record(
            decode_deadletter(record.value),
            topic=topic,
            partition=partition,
            offset=offset,
            timestamp_ms=record.timestamp_ms,
        )
    except MashError as exc:
        log.warning("unreadable dead letter at %s[%d]@%d: %s", topic, partition, offset, exc)
        letter = unreadable_letter(
            topic=topic,
            partition=partition,
            offset=offset,
            timestamp_ms=record.timestamp_ms,
            why=str(exc),
        )
    queue.add_letter(letter)


def _names(topics: Topics) -> list[str]:
    return [topics.deadletter, topics.deadletter_events]


def load_queue(bootstrap: str, topics: Topics, timeout_s: float = 60) -> DeadLetterQueue:
    """The dead-letter queue as it stands now: both topics read up to their current end."""
    queue = DeadLetterQueue()
    read_records(
        bootstrap,
        _names(topics),
        lambda record: fold_record(queue, topics, record),
        CLIENT_ID,
        timeout_s=timeout_s,
    )
    return queue


def follow_queue(
    bootstrap: str,
    topics: Topics,
    handle: RecordHandler,
    stop: threading.Event,
    caught_up: threading.Event | None = None,
) -> None:
    """Read both topics from the beginning and keep following them until ``stop`` is set."""
    follow_records(bootstrap, _names(topics), handle, stop, CLIENT_ID, caught_up)


class KafkaOutbox:
    """Replays to the original topics and events to ``mash.deadletter.events``: acks=all,
    idempotent, each send waited for. The producer is made on first use, so a board that
    nobody replays anything from holds no extra connection."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self._bootstrap = bootstrap
        self._topic = topics.deadletter_events
        self._producer: KafkaProducer | None = None
        self._lock = threading.Lock()

    def _made(self) -> KafkaProducer:

        with self._lock:
            if self._producer is None:
                self._producer = acked_producer(self._bootstrap, CLIENT_ID)
            return self._producer

    def _send(self, topic: str, timeout_s: float, **message: Any) -> None:
        from kafka.errors import KafkaError

        try:
            self._made().send(topic, **message).get(timeout=timeout_s)
        except KafkaError as exc:
            raise BrokerError(f"publishing to {topic} failed: {type(exc).__name__}") from exc

    def replay(self, message: ReplayMessage, timeout_s: float = 30) -> None:
        """Send the original bytes back where they came from; BrokerError if not acknowledged.

        A header without a value goes as an empty one: kafka-python cannot send a null header
        value (its ``send`` refuses anything but bytes), and the name is what matters.
        """
        self._send(
            message.topic,
            timeout_s,
            key=message.key,
            value=message.value,
            headers=[(name, value or b"") for name, value in message.headers],
            timestamp_ms=message.timestamp_ms,
        )

    def publish(self, events: list[LetterEvent], timeout_s: float = 30) -> None:
        """Send events in order, each keyed by its dead letter's id, and wait for every ack."""
        for event in events:
            self._send(
                self._topic, timeout_s, key=event.letter_id.encode(), value=encode_event(event)
            )

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=10)
                self._producer = None
