"""kafka-python at the connectors' boundary: a producer that loses nothing, a plain consumer.

kafka-python is imported inside the functions so that ``mash --help`` does not pay for it, and
its errors become :class:`~mash.errors.BrokerError` here, once.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from collections.abc import Generator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from mash.errors import BrokerError
from mash.kafka import clients

_WINDOW = 10_000  # sends in flight before finished futures are checked and dropped
_LINGER_MS = 20
_BATCH_BYTES = 256 * 1024
_METADATA_WAIT_MS = 15_000
_FLUSH_TIMEOUT_S = 120.0


def require_topic(bootstrap: str, topic: str) -> None:
    """:class:`BrokerError` unless ``topic`` exists. Asked of the admin API because
    kafka-python 3.0's producer requests metadata with auto-creation on whatever its
    ``allow_auto_create_topics`` says, and a mistyped prefix must not create topics."""
    from mash.broker.admin import admin_client

    with admin_client(bootstrap, timeout_s=_METADATA_WAIT_MS / 1000) as client:
        exists = topic in client.list_topics()
    if not exists:
        raise BrokerError(
            f"topic {topic} does not exist at {bootstrap}: create the topics first "
            "(mash topics create, with the same MASH_TOPIC_PREFIX)"
        )


class KafkaSink:
    """An idempotent, ``acks=all`` producer for one topic that checks every send.

    Why so careful: a referral that never reaches the hub is a child nobody looks at. Every
    send's future is kept and checked (finished ones as the window fills, the rest after the
    final flush); :meth:`close` raises if any was not acknowledged, and counts only the ones
    that were.
    """

    def __init__(self, bootstrap: str, topic: str, client_id: str = "mash-connector") -> None:
        from kafka.errors import KafkaError

        self.topic = topic
        self._pending: deque[Any] = deque()
        self._acknowledged = 0
        self._failed = 0
        self._first_failure: str | None = None
        require_topic(bootstrap, topic)
        try:
            self._producer = clients.producer(
                bootstrap,
                client_id=client_id,
                acks="all",
                enable_idempotence=True,
                linger_ms=_LINGER_MS,
                batch_size=_BATCH_BYTES,
                max_block_ms=_METADATA_WAIT_MS,
                allow_auto_create_topics=False,
            )
        except KafkaError as exc:
            raise BrokerError(f"no Kafka broker answered at {bootstrap} ({exc})") from exc

    def send(self, key: bytes, value: bytes) -> None:
        from kafka.errors import KafkaError

        try:
            future = self._producer.send(self.topic, key=key, value=value)
        except KafkaError as exc:
            raise BrokerError(f"could not send to {self.topic}: {type(exc).__name__}") from exc
        self._pending.append(future)
        if len(self._pending) >= _WINDOW:
            self._reap(wait=False)

    def _settle(self, future: Any) -> None:
        if future.succeeded():
            self._acknowledged += 1
            return
        self._failed += 1
        if self._first_failure is None:
            self._first_failure = type(future.exception).__name__

    def _reap(self, wait: bool) -> None:
        from kafka.errors import KafkaError

        while self._pending and (wait or self._pending[0].is_done):
            future = self._pending.popleft()
            if wait and not future.is_done:
                with contextlib.suppress(KafkaError):  # a failure is counted by _settle
                    future.get(timeout=_FLUSH_TIMEOUT_S)
                if not future.is_done:
                    self._failed += 1
                    self._first_failure = self._first_failure or "no acknowledgement in time"
                    continue
            self._settle(future)

    def close(self) -> int:
        """Flush, check every send, close. Returns the acknowledged count; raises
        :class:`BrokerError` naming how many were not acknowledged."""
        from kafka.errors import KafkaError

        try:
            self._producer.flush(timeout=_FLUSH_TIMEOUT_S)
        except KafkaError as exc:
            self._first_failure = self._first_failure or type(exc).__name__
        self._reap(wait=True)
        self._producer.close(timeout=10)
        if self._failed:
            raise BrokerError(
                f"{self._failed} message(s) to {self.topic} were not acknowledged "
                f"({self._first_failure}); {self._acknowledged} were"
            )
        return self._acknowledged

    def __enter__(self) -> KafkaSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:  # failing anyway: release the connection, do not wait long
            self._producer.close(timeout=5)


@dataclass(frozen=True, slots=True)
class Message:
    """What ``mash tail`` needs of one consumed record."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None
    key: bytes | None
    value: bytes | None


def consume(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool = False,
    timeout_s: float | None = None,
) -> Generator[Message, None, None]:
    """Messages of every partition of ``topic``, without a consumer group (nothing committed,
    no rebalancing: a read-only look). Stops after ``timeout_s`` without a message."""
    from kafka import TopicPartition
    from kafka.errors import KafkaError

    logging.getLogger("kafka").setLevel(logging.ERROR)
    require_topic(bootstrap, topic)
    try:
        consumer = clients.consumer(
            bootstrap,
            group_id=None,
            enable_auto_commit=False,
            client_id="mash-tail",
            allow_auto_create_topics=False,
            consumer_timeout_ms=int(timeout_s * 1000) if timeout_s else float("inf"),
        )
    except KafkaError as exc:
        raise BrokerError(f"no Kafka broker answered at {bootstrap} ({exc})") from exc
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            raise BrokerError(f"topic {topic} does not exist at {bootstrap}")
        assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
        consumer.assign(assigned)
        if from_beginning:
            consumer.seek_to_beginning(*assigned)
        else:
            consumer.seek_to_end(*assigned)
        for record in consumer:
            stamp = record.timestamp if (record.timestamp or -1) >= 0 else None
            yield Message(
                record.topic, record.partition, record.offset, stamp, record.key, record.value
            )
    except KafkaError as exc:
        raise BrokerError(f"reading {topic} failed: {type(exc).__name__}") from exc
    finally:
        consumer.close()
