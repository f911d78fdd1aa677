"""Publish an agency file: read, validate every record against the agency's schema, encode,
send; put every line that fails into a rejects file with its line number and the reason.

The Kafka side sits behind the small :class:`Sink` protocol, so this logic is the same for the
real producer (:class:`connectors.kafka.KafkaSink`) and for a test's list.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Protocol

from connectors.sources import Item
from connectors.targets import Target
from mash.avro.forms import to_json_value
from mash.avro.framing import Wire
from mash.avro.registry import Registry
from mash.errors import SchemaError

_ID_MAX = 64


class Sink(Protocol):
    """Where encoded messages go. ``close`` flushes and returns how many were acknowledged;
    it raises :class:`~mash.errors.BrokerError` if any send failed."""

    def send(self, key: bytes, value: bytes) -> None: ...

    def close(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Summary:
    """What a run did: records acknowledged, lines rejected, where the rejects are."""

    topic: str
    sent: int
    rejected: int
    rejects_path: Path | None

    def line(self, what: str) -> str:
        text = f"{what}: sent {self.sent}, rejected {self.rejected} -> {self.topic}"
        if self.rejected and self.rejects_path is not None:
            text += f" (rejects in {self.rejects_path})"
        return text


def default_rejects_path(source: Path) -> Path:
    """``FILE.rejects.jsonl`` next to the input."""
    return source.with_name(source.name + ".rejects.jsonl")


class RejectsFile:
    """The rejects file, created on the first rejection only (a clean run leaves none).

    Each line: ``{"line": N, "id": ..., "reason": ..., "input": ...}``. ``input`` is the
    agency's own line (or record), kept so it can be corrected and re-sent: the file stays on
    the agency's machine, next to the input it came from. ``reason`` never holds a value.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._handle: IO[str] | None = None

    def add(self, item: Item, reason: str, record_id: str | None) -> None:
        # Opened here, not in a with-block: the file must not exist unless something is
        # rejected; close() (or the context manager) closes it.
        if self._handle is None:
            self._handle = open(self.path, "w", encoding="utf-8")  # noqa: SIM115
        original: Any = item.text
        if original is None and item.record is not None:
            original = to_json_value(dict(item.record))
        entry = {"line": item.number, "id": record_id, "reason": reason, "input": original}
        self._handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self.count += 1

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> RejectsFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def record_id(record: Mapping[str, Any] | None, key_field: str) -> str | None:
    """The agency's id of a record, if it has a usable one (an id is not personal data)."""
    if record is None:
        return None
    value = record.get(key_field)
    if isinstance(value, str) and value.strip() and len(value) <= _ID_MAX:
        return value
    return None


@dataclass(frozen=True)
class Encoder:
    """Turns one input record into (key, framed value) for one target, or raises
    :class:`SchemaError` naming the field at fault."""

    registry: Registry
    target: Target
    version: int | None = None
    wire: Wire = Wire.CONFLUENT

    def __call__(self, record: Mapping[str, Any]) -> tuple[bytes, bytes]:
        avro = self.registry.from_json(self.target.subject, record, self.version)
        key = avro[self.target.key_field]
        if not key.strip():
            raise SchemaError(f"{self.target.key_field} is empty")
        value = self.registry.encode(self.target.subject, avro, self.version, self.wire)
        return key.encode("utf-8"), value


def publish_items(
    items: Iterable[Item],
    encode: Encoder,
    sink: Sink,
    rejects: RejectsFile,
    progress: Callable[[int], None] = lambda position: None,
) -> Summary:
    """Send every good item, reject every bad one; then flush and count acknowledgements.

    Nothing is silently lost: an item is either acknowledged by the broker, or in the rejects
    file, or the run fails (:class:`~mash.errors.BrokerError` from ``sink.close``).
    """
    key_field = encode.target.key_field
    for item in items:
        progress(item.position)
        if item.record is None:
            rejects.add(item, item.error or "unreadable", None)
            continue
        try:
            key, value = encode(item.record)
        except SchemaError as exc:
            rejects.add(item, str(exc), record_id(item.record, key_field))
            continue
        sink.send(key, value)
    sent = sink.close()
    return Summary(encode.target.topic, sent, rejects.count, rejects.path)
