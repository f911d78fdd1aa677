"""The scenarios that need no broker: offline routing on one core (the code of ``mash
route``) and the decision-log sink into SQLite and PostgreSQL (the audit store's API).

Each returns an :class:`~mash.bench.report.Outcome`: the run's comparable figures, the
details behind them, and a reason for every figure it could not measure.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, TextIO

from mash.bench.dataset import Dataset
from mash.bench.machine import pin_to_one_core, restore_affinity
from mash.bench.progress import Tracker
from mash.bench.report import Outcome

if TYPE_CHECKING:
    from mash.domain.decision import DecisionRecord

WARM_UP: Final = 2_000
"""Referrals routed (untimed) before the measured pass. The rule engine specialises its
compiled rules per combination of categorical facts the first time it meets one (a few
hundred combinations, each a CEL compile): a long run pays that once, so the steady-state
rate is what the target is about; the warm-up's own rate is reported beside it."""
RECEIVED_AT: Final = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
"""One receipt time for the offline run, as ``mash route --received-at`` gives it."""
SINK_BATCH: Final = 500
"""Decisions per append: the batch ``mash sink`` commits with its offsets."""


def _write_inputs(data: Dataset, count: int, directory: Path) -> dict[str, Path]:
    """The first ``count`` referrals as one JSON Lines file per agency (``mash route``'s
    input); untimed."""
    handles: dict[str, io.TextIOWrapper] = {}
    paths: dict[str, Path] = {}
    try:
        for agency, obj in data.referrals[:count]:
            if agency not in handles:
                paths[agency] = directory / f"{agency}.jsonl"
                handles[agency] = paths[agency].open("w", encoding="utf-8")
            handles[agency].write(json.dumps(obj, ensure_ascii=False) + "\n")
    finally:
        for handle in handles.values():
            handle.close()
    return paths


def _warm_up(
    data: Dataset, count: int, directory: Path, router: Any, out: TextIO
) -> dict[str, Any]:
    """Route the first ``count`` referrals once to fill the rule engine's caches; their
    (cold) rate, for the record."""
    from mash.rules.offline import read_input, route_records, writer

    directory = directory / "warm-up"
    directory.mkdir()
    paths = _write_inputs(data, count, directory)
    started = time.perf_counter()
    routed = 0
    for agency, path in paths.items():
        routed += route_records(
            agency, read_input(path), router, RECEIVED_AT, writer(out), lambda _bad: None
        ).referrals
    elapsed = time.perf_counter() - started
    return {"referrals": routed, "referrals_per_s": round(routed / elapsed, 1) if elapsed else None}


class _Collect:
    """``mash route``'s JSON Lines writer to /dev/null, keeping the first decisions (for the
    sink scenario) without copying more than that."""

    def __init__(self, out: TextIO, keep: int) -> None:
        from mash.rules.offline import writer

        self._write = writer(out)
        self._keep = keep
        self.kept: list[DecisionRecord] = []

    def __call__(self, batch: list[DecisionRecord]) -> None:
        self._write(batch)
        room = self._keep - len(self.kept)
        if room > 0:
            self.kept += batch[:room]


def route_scenario(
    data: Dataset, count: int, keep: int, tracker: Tracker
) -> tuple[Outcome, list[DecisionRecord]]:
    """Offline routing of ``count`` referrals, in process and pinned to one core: the same
    functions ``mash route`` calls (read the file, map, decide, encode each decision as a
    JSON line), output to /dev/null. Also returns up to ``keep`` decision dicts."""
    from mash.domain.routing import Router
    from mash.rules import load_rules
    from mash.rules.offline import read_input, route_records

    rules = load_rules()
    tracker.stage("offline route (one core)", count)
    with (
        tempfile.TemporaryDirectory(prefix="mash-bench-") as tmp,
        Path(os.devnull).open("w", encoding="utf-8") as devnull,
    ):
        paths = _write_inputs(data, count, Path(tmp))
        collect = _Collect(devnull, keep)
        router = Router(rules, data.index)
        referrals = children = bad = 0
        pinned = pin_to_one_core()
        try:
            warm = _warm_up(data, min(count, WARM_UP), Path(tmp), router, devnull)
            started = time.perf_counter()
            for agency, path in paths.items():
                summary = route_records(
                    agency, read_input(path), router, RECEIVED_AT, collect, lambda _bad: None
                )
                referrals += summary.referrals
                children += summary.children
                bad += summary.bad
                tracker.advance(summary.referrals + summary.bad)
            elapsed = time.perf_counter() - started
        finally:
            restore_affinity(pinned)
    figures = {
        "route_referrals_per_s": round(referrals / elapsed, 1),
        "route_children_per_s": round(children / elapsed, 1),
    }
    detail = {
        "referrals": referrals,
        "children": children,
        "bad": bad,
        "seconds": round(elapsed, 3),
        "pinned_to_one_core": pinned is not None,
        "warm_up": warm,
        "rule_cache": rules.cache_sizes(),
    }
    return Outcome(figures, detail), collect.kept


# --------------------------------------------------------------------------- sink


def _append_all(url: str, decisions: Sequence[DecisionRecord], tracker: Tracker) -> float:
    """Seconds to append ``decisions`` to a fresh log at ``url`` in sink-sized batches."""
    from mash.audit.store import open_log

    with open_log(url) as log:
        started = time.perf_counter()
        for start in range(0, len(decisions), SINK_BATCH):
            batch = decisions[start : start + SINK_BATCH]
            log.append(batch)
            tracker.advance(len(batch))
        elapsed = time.perf_counter() - started
        if log.count() != len(decisions):
            from mash.errors import AuditError

            raise AuditError(f"the log holds {log.count()} of {len(decisions)} decisions")
    return elapsed


def _why(exc: BaseException) -> str:
    """The error's type and the driver's first line (connection problems; never the SQL or
    its parameters, which SQLAlchemy appends to its own message)."""
    cause = getattr(exc, "orig", None) or exc.__cause__ or exc
    first = (str(cause).splitlines() or [""])[0][:160]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def sink_scenario(
    decisions: Sequence[DecisionRecord], postgres_url: str | None, tracker: Tracker
) -> Outcome:
    """Decisions per second appended to a new SQLite log and, given a URL, PostgreSQL."""
    from mash.audit.store import scratch_schema
    from mash.bench.runner import FAILED

    outcome = Outcome()
    if not decisions:
        reason = "no decisions to append (offline routing produced none)"
        outcome.fail("sink_sqlite_per_s", reason)
        outcome.fail("sink_postgres_per_s", reason)
        return outcome
    tracker.stage("decision log: SQLite", len(decisions))
    with tempfile.TemporaryDirectory(prefix="mash-bench-") as tmp:
        seconds = _append_all(f"sqlite:///{Path(tmp) / 'decisions.db'}", decisions, tracker)
    outcome.figures["sink_sqlite_per_s"] = round(len(decisions) / seconds, 1)
    outcome.detail["decisions"] = len(decisions)
    outcome.detail["batch"] = SINK_BATCH
    outcome.detail["sqlite_seconds"] = round(seconds, 3)
    if not postgres_url:
        outcome.fail(
            "sink_postgres_per_s", "no PostgreSQL: set MASH_TEST_POSTGRES_URL or --postgres-url"
        )
        return outcome
    tracker.stage("decision log: PostgreSQL", len(decisions))
    try:
        with scratch_schema(postgres_url, "bench") as url:
            seconds = _append_all(url, decisions, tracker)
    except Exception as exc:  # MashError, SQLAlchemy's (imported lazily), OSError: reported
        outcome.fail("sink_postgres_per_s", f"{FAILED}PostgreSQL ({_why(exc)})")
        return outcome
    outcome.figures["sink_postgres_per_s"] = round(len(decisions) / seconds, 1)
    outcome.detail["postgres_seconds"] = round(seconds, 3)
    return outcome
