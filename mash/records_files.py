"""Loading cross-agency records from a directory of JSON Lines files (``mash route --records``).

The imperative shell around :class:`mash.domain.records.RecordIndex`: it opens files, the
domain only sees dicts. A directory holds up to four files, ``social-care.jsonl``,
``early-help.jsonl``, ``police.jsonl`` and ``health.jsonl``. A missing file leaves that kind
UNAVAILABLE, never "nobody known": routing then fails upward (CHECKS_INCOMPLETE), which is
what a hub wants when an agency's extract did not arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mash.domain.records import RECORD_KINDS, RecordIndex, RecordKind, record_from_mapping
from mash.errors import InvalidRecord, UsageError


@dataclass
class LoadReport:
    """What was loaded: people per kind, kinds without a file, and bad lines (``file:line:
    problem``, no personal data). A kind with a bad line is left unavailable."""

    counts: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def available(self) -> list[str]:
        """Kinds loaded completely (the ones checks can use)."""
        return [kind for kind in self.counts if kind not in self.failed]


def records_file(directory: Path, kind: RecordKind) -> Path:
    """Where a kind's records live in a records directory."""
    return directory / f"{kind}.jsonl"


def _rows(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError:
                raise InvalidRecord(f"{path}:{number}: not valid JSON") from None


def load_kind(index: RecordIndex, kind: RecordKind, path: Path) -> int:
    """Index one kind's file and mark the kind available. Raises
    :class:`~mash.errors.InvalidRecord` naming ``file:line`` on the first bad line, leaving
    the kind unavailable."""
    count = 0
    for number, row in _rows(path):
        try:
            index.put(record_from_mapping(kind, row))
        except InvalidRecord as exc:
            raise InvalidRecord(f"{path}:{number}: {exc}") from None
        count += 1
    index.mark_available(kind)
    return count


def load_records_dir(
    directory: str | Path, index: RecordIndex | None = None, *, strict: bool = True
) -> tuple[RecordIndex, LoadReport]:
    """Load every records file in ``directory`` into ``index`` (a new one by default).

    ``strict``: raise on the first bad line (the CLI exits 2 with ``file:line``). Otherwise the
    error is reported and that kind stays unavailable, while the other kinds load.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise UsageError(f"records directory {directory} does not exist")
    index = index if index is not None else RecordIndex()
    report = LoadReport()
    for kind in RECORD_KINDS:
        path = records_file(directory, kind)
        if not path.exists():
            report.missing.append(kind)
            continue
        try:
            report.counts[kind] = load_kind(index, kind, path)
        except InvalidRecord as exc:
            if strict:
                raise
            index.mark_available(kind, False)
            report.counts[kind] = index.count(kind)
            report.failed.append(kind)
            report.errors.append(str(exc))
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return index, report
