"""Offline routing (``mash route``): the stream's domain code over files, no broker.

The imperative shell around :class:`mash.domain.routing.Router`: read an agency's JSON Lines
(or an Avro container file), map each record with :func:`mash.agencies.to_referral`, decide
every child against the records of ``--records DIR``, write one decision dict per line, and
optionally append the decisions to the decision log.

Records directory (``--records DIR``): ``social-care.jsonl``, ``early-help.jsonl``,
``police.jsonl``, ``health.jsonl``. A kind is checked only if its file is there: a missing file
means that agency's records are UNAVAILABLE (every child is then flagged CHECKS_INCOMPLETE and
never routed below assessment), while an empty file means available and empty (NOT_FOUND). A
records file with a bad line leaves its kind UNAVAILABLE, because a partly loaded index must
not pass for a complete one. Without ``--records`` every kind is UNAVAILABLE.

Bad input lines are reported on stderr by line number with a reason that carries ids only;
the other lines are still routed, and the run ends with exit code 2.
"""

from __future__ import annotations

import contextlib
import gc
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol, TextIO

import orjson

from mash.agencies import AGENCIES, to_referral
from mash.domain.decision import DecisionRecord, decision_to_dict
from mash.domain.records import RecordIndex
from mash.domain.routing import Router
from mash.errors import DecodeError, InvalidReferral, UsageError
from mash.records_files import load_records_dir

CONTAINER_MAGIC: Final = b"Obj\x01"
BATCH: Final = 1000

_stdlib_encode = json.JSONEncoder(
    ensure_ascii=False, check_circular=False, separators=(",", ":")
).encode
_SMALLEST_PLAIN: Final = 1e-4
"""Below this magnitude Python writes a float in exponent form (``1e-05``) and orjson does
not (``0.00001``); at or above it (and for the ids, codes, counts and scores of a decision)
both write exactly the same text."""


_PASSTHROUGH: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
"""Times and dataclasses are not JSON to the standard library either: let it raise as before."""


def _orjson_safe(decision: DecisionRecord) -> bool:
    """Whether orjson writes this decision exactly as the standard library would: no float
    fact that is tiny, NaN or infinite (the facts are the only floats a decision carries that
    are not rounded scores; rule evidence repeats facts)."""
    for value in decision["facts"].values():
        if type(value) is float and value and not _SMALLEST_PLAIN <= abs(value) < math.inf:
            return False
    return True


def encode_decision_line(decision: DecisionRecord) -> str:
    """One decision dict as compact JSON (``ensure_ascii=False``), byte for byte what the
    standard library's encoder writes, at orjson's speed: the encoding of a ~3 KB decision
    was the largest single cost of ``mash route``. Falls back to the standard library for
    what orjson writes differently (tiny or non-finite floats) or cannot write."""
    if _orjson_safe(decision):
        try:
            return orjson.dumps(decision, option=_PASSTHROUGH).decode("utf-8")
        except TypeError:  # a value orjson does not know (e.g. a set): the stdlib decides
            pass
    return _stdlib_encode(decision)


@dataclass(frozen=True, slots=True)
class Bad:
    """An input line (or record) that could not be routed, and why (ids only)."""

    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(slots=True)
class RouteSummary:
    """What a run did, for the closing line on stderr (counts only)."""

    referrals: int = 0
    children: int = 0
    bad: int = 0
    logged: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)


# --------------------------------------------------------------------------- records


def load_records(directory: Path | None) -> tuple[RecordIndex, list[str]]:
    """The record index of ``directory`` and any problems found (see the module docstring).

    A thin use of :func:`mash.records_files.load_records_dir`: a kind whose file has a bad line
    is reported and left UNAVAILABLE, while the other kinds load."""
    if directory is None:
        return RecordIndex(), []
    if not directory.is_dir():
        raise UsageError(f"--records {directory}: not a directory")
    index, report = load_records_dir(directory, strict=False)
    return index, report.errors


# --------------------------------------------------------------------------- input


_DIGITS_AS_ZERO: Final = bytes(0x30 if b in b"0123456789" else 0x20 for b in range(256))
_LONG_NUMBER: Final = b"0" * 19
"""19 digits in a row (once every digit reads as 0): possibly an integer beyond 64 bits."""


def _loads(line: str) -> Any:
    """``json.loads`` at twice its speed. orjson refuses some of what the standard library
    reads (``NaN``, ``1e400``, lone surrogates) and reads integers beyond 64 bits as floats
    where the standard library keeps them exact; anything else it reads to exactly the same
    values. So the standard library reads those lines (any run of 19 digits, even inside a
    string, merely costs the slow path), and what is read and every error message stay
    exactly as before."""
    raw = line.encode("utf-8", "surrogatepass")
    if _LONG_NUMBER not in raw.translate(_DIGITS_AS_ZERO):
        with contextlib.suppress(orjson.JSONDecodeError):
            return orjson.loads(raw)
    return json.loads(line)


_LONE_SURROGATE: Final = re.compile(r"\\u[dD][89a-fA-F]")
"""A surrogate escape: JSON allows a lone one, Unicode text (and so UTF-8, Avro) does not."""


def _is_unicode(obj: Any) -> bool:
    """Whether every string in ``obj`` can be written as UTF-8 (the digest and the output
    must be); checked only for the rare line that holds a surrogate escape at all."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or :class:`Bad`) for every non-blank line."""
    try:
        with path.open("r", encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    obj = _loads(line)
                except json.JSONDecodeError as exc:
                    yield number, Bad(number, f"not valid JSON ({exc.msg} at column {exc.colno})")
                    continue
                if not isinstance(obj, dict):
                    yield number, Bad(number, "not a JSON object")
                elif _LONE_SURROGATE.search(line) and not _is_unicode(obj):
                    yield number, Bad(number, "text holds a lone surrogate escape: not Unicode")
                else:
                    yield number, obj
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text (byte {exc.start})") from exc


def _container(path: Path) -> Iterator[tuple[int, Any]]:
    from mash.avro.container import read_container

    number = 0
    try:
        for number, record in enumerate(read_container(path), 1):
            yield number, record
    except DecodeError as exc:
        yield number + 1, Bad(number + 1, str(exc))


def read_input(path: Path) -> Iterator[tuple[int, Any]]:
    """Records of an agency file: JSON Lines, or an Avro container (by its magic bytes)."""
    try:
        with path.open("rb") as handle:
            magic = handle.read(len(CONTAINER_MAGIC))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return _container(path) if magic == CONTAINER_MAGIC else _json_lines(path)


# --------------------------------------------------------------------------- routing


@contextlib.contextmanager
def settled_heap() -> Iterator[None]:
    """Keep the cyclic garbage collector off what already exists while routing.

    Routing allocates a few dozen containers per decision and holds a batch of them, so the
    collector runs often, and each of its full passes walks every object alive: the record
    index (a million records in production), the rules and their caches, none of it
    garbage. On the benchmark (20,000 referrals, 130,000 objects alive) three full passes
    took 0.4 s of a 3.5 s run, and left the CPU caches cold. ``gc.freeze`` sets everything
    alive now aside for the run (the collector still sees all that routing makes), and
    ``gc.unfreeze`` hands it back afterwards, so nothing is kept that would otherwise be
    freed; the decisions do not depend on it at all."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@settled_heap()
def route_records(
    agency: str,
    items: Iterable[tuple[int, Any]],
    router: Router,
    received_at: datetime,
    emit: Callable[[list[DecisionRecord]], None],
    report: Callable[[Bad], None],
) -> RouteSummary:
    """Route every record; ``emit`` gets each batch of decision dicts, ``report`` each bad
    line. Never stops on a bad line."""
    if agency not in AGENCIES:
        raise UsageError(f"unknown agency {agency!r} (expected one of {', '.join(AGENCIES)})")
    summary = RouteSummary()
    batch: list[DecisionRecord] = []
    for number, obj in items:
        if isinstance(obj, Bad):
            summary.bad += 1
            report(obj)
            continue
        try:
            referral = to_referral(agency, obj, received_at)
        except InvalidReferral as exc:
            summary.bad += 1
            report(Bad(number, str(exc)))
            continue
        summary.referrals += 1
        for decision in router.decide(referral):
            batch.append(decision_to_dict(decision))
            summary.children += 1
            summary.routes[decision.route] += 1
            summary.flags.update(decision.flags)
        if len(batch) >= BATCH:
            emit(batch)
            batch = []
    if batch:
        emit(batch)
    return summary


Emit = Callable[[list[DecisionRecord]], None]


def writer(out: TextIO) -> Emit:
    """Write decision dicts as JSON Lines, a batch per write call."""

    def write(batch: list[DecisionRecord]) -> None:
        out.write("".join([encode_decision_line(decision) + "\n" for decision in batch]))

    return write


class DecisionSink(Protocol):
    """The part of the decision log ``--db`` needs (:func:`mash.audit.store.open_log`)."""

    def append(self, decisions: Iterable[DecisionRecord]) -> int: ...


class Tee:
    """Emit each batch, then append it to the decision log; counts what the log took (a
    decision id already logged is skipped by the log, so a re-run adds nothing)."""

    def __init__(self, emit: Emit, log: DecisionSink) -> None:
        self.emit = emit
        self.log = log
        self.logged = 0

    def __call__(self, batch: list[DecisionRecord]) -> None:
        self.emit(batch)
        self.logged += self.log.append(batch)
