"""``mash bench`` (registered by :mod:`mash.cli`): measure the hub against the raw limits of
the machine it runs on, and print and save the figures.

Thin: options to a :class:`~mash.bench.config.BenchConfig`, a rich progress bar, the run
(:func:`mash.bench.runner.run_bench`), a table on stdout and the JSON document to a file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

_err = Console(stderr=True)


class RichTracker:
    """The run's progress as one rich progress bar on stderr (step name and counts only)."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID = progress.add_task("starting", total=None)

    def stage(self, label: str, total: int | None = None) -> None:
        self._progress.reset(self._task, total=total, description=label, completed=0)

    def advance(self, units: int = 1) -> None:
        if units:
            self._progress.advance(self._task, units)


def bench(
    quick: bool = typer.Option(
        False, "--quick", help="A short run (under five minutes): 2,000 referrals, 20,000 people."
    ),
    json_file: Path | None = typer.Option(
        None, "--json", help="Write the figures as JSON to this file ('-' for stdout)."
    ),
    referrals: int | None = typer.Option(
        None, "--referrals", help="Referrals end-to-end and offline (full 100,000; quick 2,000)."
    ),
    only: list[str] | None = typer.Option(
        None,
        "--only",
        help="Run only these scenarios "
        "(repeat or comma-separate): baseline, e2e, latency, "
        "route, sink, restart, rss.",
    ),
    people: int | None = typer.Option(
        None,
        "--people",
        help="Record rows when the worker restarts (full 1,000,000; quick 20,000).",
    ),
    baseline: int | None = typer.Option(
        None,
        "--baseline",
        help="Messages through the raw pass-through (full 100,000; quick 10,000).",
    ),
    latency_s: float | None = typer.Option(
        None, "--latency-s", help="Seconds of publishing at the fixed rate (full 30; quick 5)."
    ),
    rate: int | None = typer.Option(None, "--rate", help="Referrals/s of the latency run (500)."),
    sink: int | None = typer.Option(
        None, "--sink", help="Decisions appended to each decision log (full 20,000; quick 2,000)."
    ),
    workers: int = typer.Option(1, "--workers", help="`mash worker` processes to run."),
    partitions: int | None = typer.Option(
        None, "--partitions", help="Partitions per topic (default: MASH_PARTITIONS)."
    ),
    postgres_url: str | None = typer.Option(
        None,
        "--postgres-url",
        help="PostgreSQL for the sink scenario (default: MASH_TEST_POSTGRES_URL).",
    ),
    seed: int = typer.Option(7, "--seed", help="Seed of the generated data."),
) -> None:
    """Benchmark the hub on this machine.

    Raw broker pass-through, end-to-end stream throughput and latency, offline routing on
    one core, decision-log appends, worker restart and memory.

    Runs against the broker of MASH_BOOTSTRAP with a topic prefix of its own, deleted at the
    end. Prints a table (with the load average around each figure) and writes JSON.
    Exit 0 when every selected scenario ran, 1 when one failed.
    """
    from uuid import uuid4

    from mash.bench.config import BenchConfig, parse_only, sizes_for
    from mash.config import Settings
    from mash.errors import UsageError

    if workers < 1:
        raise UsageError("--workers must be at least 1")
    settings = Settings.load()
    config = BenchConfig(
        bootstrap=settings.bootstrap,
        prefix=f"bench-{uuid4().hex[:10]}-",
        sizes=sizes_for(
            quick,
            referrals=referrals,
            people=people,
            baseline=baseline,
            latency_s=latency_s,
            rate=rate,
            sink=sink,
        ),
        only=parse_only(only),
        partitions=partitions or settings.partitions,
        workers=workers,
        seed=seed,
        postgres_url=postgres_url or os.environ.get("MASH_TEST_POSTGRES_URL") or None,
        quick=quick,
    )
    if config.partitions < 1:
        raise UsageError("--partitions must be at least 1")
    doc = _run_with_progress(config)
    _print_table(doc)
    _write_json(doc, json_file, settings.home)
    from mash.bench.runner import FAILED

    if any(reason.startswith(FAILED) for reason in doc["reasons"].values()):
        raise typer.Exit(1)


def _run_with_progress(config: Any) -> dict[str, Any]:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from mash.bench.runner import run_bench

    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=_err, transient=True) as progress:
        return run_bench(config, RichTracker(progress))


def _print_table(doc: dict[str, Any]) -> None:
    from rich.table import Table

    from mash.bench.report import missing_lines, table_rows

    machine = doc["machine"]
    loads = machine.get("load_avg") or ["?"]
    title = (
        f"mash bench{' --quick' if doc['run']['quick'] else ''}: {machine['cores']} cores, "
        f"{machine['memory_gb']} GiB, {machine['cpu_model']}; load at start {loads[0]}"
    )
    table = Table(title=title, title_justify="left")
    for name in ("measure", "figure", "target", "load avg (1 min) before -> after"):
        table.add_column(name)
    for row in table_rows(doc):
        table.add_row(*row)
    out = Console()
    if not out.is_terminal:  # a file or a pipe: one row per line, not rich's 80 columns
        out = Console(width=140)
    out.print(table)
    for line in missing_lines(doc):
        out.print(f"  n/a {line}", highlight=False, soft_wrap=True)


def _write_json(doc: dict[str, Any], path: Path | None, home: Path) -> None:
    text = json.dumps(doc, indent=2)
    if path is not None and str(path) == "-":
        typer.echo(text)
        return
    if path is None:
        stamp = doc["run"]["started_at"].replace(":", "").replace("-", "")
        path = home / "bench" / f"bench-{stamp}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n", encoding="utf-8")
    _err.print(f"figures written to {path}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``mash bench`` to the ``mash`` app."""
    app.command("bench")(bench)
