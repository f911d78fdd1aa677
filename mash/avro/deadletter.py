"""Dead letters: an input message the hub could not use, kept whole with where it came from and
why, on ``mash.deadletter`` (the ``deadletter`` subject)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from mash.avro.framing import Wire
from mash.avro.registry import Registry

DEADLETTER_SUBJECT = "deadletter"


def deadletter_record(
    *,
    source_topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    reason: str,
    headers: Iterable[tuple[str, bytes | None]] = (),
    stage: str = "decode",
    timestamp_ms: int | None = None,
    failed_at: datetime | None = None,
    worker: str | None = None,
) -> dict[str, Any]:
    """The Avro form of a dead letter. ``reason`` must name the problem, never a value (use a
    :class:`~mash.errors.DecodeError`'s message); the original bytes are kept unchanged."""
    return {
        "source_topic": source_topic,
        "partition": partition,
        "offset": offset,
        "timestamp": (
            datetime.fromtimestamp(timestamp_ms / 1000, UTC) if timestamp_ms is not None else None
        ),
        "key": key,
        "value": value,
        "headers": [{"key": name, "value": data} for name, data in headers],
        "stage": stage,
        "reason": reason,
        "failed_at": failed_at or datetime.now(UTC),
        "worker": worker,
    }


def encode_deadletter(
    record: dict[str, Any],
    *,
    registry: Registry | None = None,
    wire: Wire | str = Wire.CONFLUENT,
) -> bytes:
    """A dead letter (from :func:`deadletter_record`) as one framed Avro message."""
    reg = registry if registry is not None else Registry.default()
    return reg.encode(DEADLETTER_SUBJECT, record, wire=wire)


def decode_deadletter(payload: bytes, *, registry: Registry | None = None) -> dict[str, Any]:
    """One framed ``deadletter`` message -> its Avro form (original bytes as ``bytes``)."""
    reg = registry if registry is not None else Registry.default()
    return reg.decode(payload, DEADLETTER_SUBJECT)
