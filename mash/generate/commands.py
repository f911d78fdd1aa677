"""``mash generate``: write a synthetic data set (registered by :mod:`mash.cli`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mash.errors import UsageError

if TYPE_CHECKING:
    from mash.generate.writer import DatasetSummary

PROGRESS_FROM = 10_000
"""Show a progress bar from this many referrals: below it the run is over in a blink."""


def parse_start(value: str) -> datetime:
    """``--start``: a date (``2026-11-02``, midnight UTC) or an ISO-8601 time (UTC if no
    offset is given), as a naive UTC datetime."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            return datetime(day.year, day.month, day.day)
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(
            f"--start {value!r} is not a date (YYYY-MM-DD) or an ISO-8601 time"
        ) from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def register(app: typer.Typer) -> None:
    """Add ``mash generate`` to the ``mash`` app."""

    @app.command("generate")
    def generate_command(
        out: Path = typer.Option(..., "--out", "-o", help="Directory to write the files into."),
        referrals: int = typer.Option(
            1000, "--referrals", "-n", help="Number of agency referrals (messages) to make."
        ),
        seed: int = typer.Option(0, "--seed", "-s", help="Random seed: same seed, same bytes."),
        start: str = typer.Option(
            "2026-11-02",
            "--start",
            help="First day of the referral window (YYYY-MM-DD or ISO-8601 time, UTC).",
        ),
        days: int = typer.Option(30, "--days", help="Length of the referral window in days."),
    ) -> None:
        """Write realistic synthetic referrals for every agency, and the record topics.

        Writes police.jsonl, health.jsonl, council.jsonl, records/*.jsonl and manifest.json
        in the formats of DESIGN.md.

        Deterministic for a seed. Fake identities only (NHS numbers from the 999 test range).
        """
        from mash.generate.writer import write_dataset

        if referrals < 0:
            raise UsageError("--referrals must be 0 or more")
        if days < 1:
            raise UsageError("--days must be at least 1")
        if out.exists() and not out.is_dir():
            raise UsageError(f"--out {out} exists and is not a directory")
        window_start = parse_start(start)
        began = time.perf_counter()
        with _progress(referrals) as advance:
            summary = write_dataset(out, referrals, seed, window_start, days, advance)
        _print_summary(summary, time.perf_counter() - began)


@contextmanager
def _progress(total: int) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr for large runs; no callback for small ones."""
    if total < PROGRESS_FROM:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task("generating referrals", total=total)
        yield lambda done: progress.advance(task, done)


def _print_summary(summary: DatasetSummary, seconds: float) -> None:
    """Counts per file and the mix, on stdout: never a name, date of birth or postcode."""
    from rich.console import Console
    from rich.table import Table

    from mash.generate.writer import FILES

    stats = summary.stats
    table = Table(title=f"mash generate: {summary.out}", show_lines=False)
    table.add_column("file")
    table.add_column("lines", justify="right")
    for subject, name in FILES.items():
        table.add_row(name, f"{summary.counts[subject]:,}")
    console = Console()
    console.print(table)
    children = max(stats.children, 1)
    mix = ", ".join(
        f"{code} {count / children:.0%}"
        for code, count in sorted(stats.children_by_source.items(), key=lambda kv: -kv[1])
    )
    referrals = max(stats.referrals, 1)
    police = max(summary.counts["police"], 1)
    console.print(f"children named: {stats.children:,}  (by census source: {mix})")
    console.print(
        f"re-referrals within 12 months: {stats.re_referrals / referrals:.1%}   "
        f"police notifications on schema v2: {stats.police_v2 / police:.0%}   "
        f"NHS numbers issued: {stats.nhs_numbers:,}"
    )
    if stats.nhs_share < 1:
        console.print(
            f"NHS numbers on {stats.nhs_share:.0%} of children: the 999 test range holds about "
            "900,000 numbers, spread evenly over a data set this large"
        )
    if stats.nhs_exhausted:
        console.print(
            "[yellow]warning:[/yellow] the 999 test range of NHS numbers ran out; later "
            "children have no NHS number (never a reused one)"
        )
    rate = stats.referrals / seconds if seconds > 0 else float("inf")
    console.print(f"{stats.referrals:,} referrals in {seconds:.1f}s ({rate:,.0f} referrals/s)")
