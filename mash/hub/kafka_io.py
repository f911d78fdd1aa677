"""Reading the hub's topics and publishing staff events with kafka-python (adapter).

The hub is small (hundreds of items a day), so readers simply assign themselves every
partition and read from the beginning (:mod:`mash.kafka.small_topics`): no consumer group, no
committed offsets, and the same state for everyone who reads. kafka-python errors become
:class:`mash.errors.BrokerError`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from mash.errors import BrokerError, MashError
from mash.hub.codec import decode_decision_message, decode_event, decode_work_item, encode_event
from mash.hub.model import HubEvent, event_from_dict, work_item_from_dict
from mash.hub.queues import Ledger
from mash.kafka.small_topics import acked_producer, follow_records, read_records
from mash.topics import Topics

if TYPE_CHECKING:
    from kafka import KafkaProducer

log = logging.getLogger(__name__)

CLIENT_ID = "mash-hub"

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


def read_topics(bootstrap: str, names: list[str], handle: Handler, timeout_s: float = 60) -> int:
    """Read ``names`` from the beginning up to their current end; returns messages read."""
    return read_records(
        bootstrap, names, lambda r: handle(r.topic, r.value), CLIENT_ID, timeout_s=timeout_s
    )


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
    follow_records(bootstrap, names, lambda r: handle(r.topic, r.value), stop, CLIENT_ID, caught_up)


class EventPublisher:
    """Staff events to ``mash.overrides``: keyed by decision id, acks=all, idempotent."""

    def __init__(self, bootstrap: str, topics: Topics) -> None:
        self._topic = topics.overrides
        self._bootstrap = bootstrap
        self._producer: KafkaProducer = acked_producer(bootstrap, CLIENT_ID)

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
