"""Kafka messages as plain values: what the worker read (:class:`Incoming`), what it will send
(:class:`Outgoing`), and the dead letter that carries a message nobody could route.

Plain frozen dataclasses rather than Faust events, so the per-message logic
(:mod:`mash.stream.pipeline`) is a function from values to values that unit tests call without
Kafka, and so the Faust agents stay a thin loop around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

Headers = tuple[tuple[str, bytes | None], ...]

REASON_MAX: Final = 500
"""Dead-letter reasons are short, fixed texts with ids; a longer one is cut, never omitted."""


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message as read from a topic: the original bytes and where they came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to send. The partition is left to the producer's key hash, so every
    message about one decision (keyed by its id) lands on one partition of each topic."""

    topic: str
    key: bytes | None
    value: bytes


def as_headers(raw: Iterable[tuple[Any, Any]] | Mapping[Any, Any] | None) -> Headers:
    """Kafka headers (a list of pairs or a mapping, as the clients give them) as a tuple of
    ``(str, bytes | None)``, the form the dead-letter schema stores."""
    if not raw:
        return ()
    pairs = raw.items() if isinstance(raw, Mapping) else raw
    return tuple((_text(name), _bytes(value)) for name, value in pairs)


def _text(value: Any) -> str:
    if isinstance(value, bytes | bytearray):
        return bytes(value).decode("utf-8", "replace")
    return str(value)


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    return str(value).encode("utf-8")


def received_at(timestamp_ms: int | None, fallback: datetime) -> datetime:
    """When the hub received a referral: the Kafka message timestamp (so a replay of the same
    message gets the same receipt time, deadline and decision), or ``fallback`` when the
    message carries none."""
    if timestamp_ms is None or timestamp_ms < 0:
        return fallback
    return datetime.fromtimestamp(timestamp_ms / 1000, tz=UTC)


def short_reason(reason: str) -> str:
    """A dead-letter reason cut to :data:`REASON_MAX` characters."""
    return reason if len(reason) <= REASON_MAX else reason[: REASON_MAX - 1] + "…"


def dead_letter_record(
    message: Incoming, stage: str, reason: str, failed_at: datetime, worker: str
) -> dict[str, Any]:
    """The Avro form of the ``deadletter`` subject for one message: the original key, value
    and headers untouched, where they were read, and why they could not be routed.

    ``reason`` must already be free of personal data: it comes from :mod:`mash.errors`
    messages (ids and field names only) or is an exception's type name.
    """
    timestamp = None
    if message.timestamp_ms is not None and message.timestamp_ms >= 0:
        timestamp = datetime.fromtimestamp(message.timestamp_ms / 1000, tz=UTC)
    return {
        "source_topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": timestamp,
        "key": message.key,
        "value": message.value,
        "headers": [{"key": name, "value": value} for name, value in message.headers],
        "stage": stage,
        "reason": short_reason(reason),
        "failed_at": failed_at,
        "worker": worker,
    }
