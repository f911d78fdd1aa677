"""Avro object container files: how agencies hand over a batch (a night's referrals, a full
record extract) without a schema registry, because the file carries its own writer schema."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

import fastavro

from mash.avro.framing import CONTAINER_MAGIC
from mash.avro.registry import SchemaVersion
from mash.errors import DecodeError, SchemaError


def is_container(path: Path | str) -> bool:
    """True if the file starts with the container magic ``Obj\\x01``."""
    with open(path, "rb") as handle:
        return handle.read(len(CONTAINER_MAGIC)) == CONTAINER_MAGIC


def read_container_stream(handle: BinaryIO, name: str = "stream") -> Iterator[dict[str, Any]]:
    """Every record of a container read from an open binary handle (``name`` for errors);
    the caller may watch ``handle.tell()`` for progress."""
    try:
        reader = fastavro.reader(handle)
    except Exception as exc:  # fastavro raises ValueError and friends for a bad header
        raise DecodeError(f"{name}: not an Avro container file") from exc
    count = 0
    try:
        for record in reader:
            count += 1
            if not isinstance(record, dict):
                raise DecodeError(f"{name}: record {count} is not a record")
            yield record
    except DecodeError:
        raise
    except Exception as exc:
        problem = type(exc).__name__
        raise DecodeError(f"{name}: corrupt data after record {count} ({problem})") from exc


def read_container(path: Path | str) -> Iterator[dict[str, Any]]:
    """Every record of a container file, in the file's own (writer) schema, Avro form.

    :class:`DecodeError` if the file is not a container or a block is corrupt (naming the
    record count reached, never data).
    """
    source = Path(path)
    with open(source, "rb") as handle:
        yield from read_container_stream(handle, source.name)


def container_schema(path: Path | str) -> dict[str, Any]:
    """The writer schema stored in a container file's header."""
    source = Path(path)
    with open(source, "rb") as handle:
        try:
            schema = fastavro.reader(handle).writer_schema
        except Exception as exc:
            raise DecodeError(f"{source.name}: not an Avro container file") from exc
    if not isinstance(schema, dict):
        raise DecodeError(f"{source.name}: the container's schema is not a record")
    return schema


def write_container(
    path: Path | str,
    schema: SchemaVersion,
    records: Iterable[Mapping[str, Any]],
    codec: str = "deflate",
) -> int:
    """Write Avro-form ``records`` as a container file in ``schema``; returns how many."""
    items = list(records)
    try:
        with open(path, "wb") as handle:
            fastavro.writer(handle, schema.parsed, items, codec=codec, strict_allow_default=True)
    except (ValueError, TypeError):
        # Not chained: fastavro's message may quote the value.
        raise SchemaError(f"{schema.label}: a record does not fit the schema") from None
    return len(items)
