"""Agency input files, one item per record: JSON Lines or an Avro container file.

The format is told by content, not by name: a container starts with ``Obj\\x01``. Every item
carries its position (line number, or record number in a container) so a rejected one can be
found and fixed, and the bytes read so far for a progress bar. An item that cannot even be read
as a record (not JSON, not an object) comes with the reason instead of a record: it is rejected,
never skipped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mash.avro.container import is_container, read_container_stream
from mash.errors import DecodeError


@dataclass(frozen=True, slots=True)
class Item:
    """One record of an input file, or why that position holds none."""

    number: int
    record: Mapping[str, Any] | None
    text: str | None = None
    error: str | None = None
    position: int = 0


def _parse_line(number: int, raw: bytes, position: int) -> Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return Item(number, None, None, "line is not UTF-8", position)
    text = text.rstrip("\r\n")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        # The decoder's message names the problem and the column, never the content.
        return Item(number, None, text, f"not JSON ({exc.msg} at column {exc.colno})", position)
    if not isinstance(value, dict):
        return Item(number, None, text, "not a JSON object", position)
    return Item(number, value, text, None, position)


def _json_lines(path: Path) -> Iterator[Item]:
    position = 0
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            position += len(raw)
            if raw.strip():
                yield _parse_line(number, raw, position)


def _container(path: Path) -> Iterator[Item]:
    number = 0
    with open(path, "rb") as handle:
        try:
            for record in read_container_stream(handle, path.name):
                number += 1
                yield Item(number, record, None, None, handle.tell())
        except DecodeError as exc:
            # A corrupt block makes the rest of the file unreadable: say so, as a rejection.
            yield Item(number + 1, None, None, f"{exc}; the rest of the file is unreadable")


def read_items(path: Path | str) -> Iterator[Item]:
    """Every record of a JSON Lines or Avro container file, in order (blank lines skipped)."""
    source = Path(path)
    if is_container(source):
        yield from _container(source)
    else:
        yield from _json_lines(source)
