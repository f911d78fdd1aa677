"""``mash chaos`` (registered by :mod:`mash.cli`): inject real faults and count the log.

Thin: picks scenarios and sizes, gives each a topic prefix of its own on the configured broker
(broker-kill and cluster-leader-kill bring brokers of their own), prints a table, writes the
JSON list, and exits 1 when any scenario lost or duplicated a child or failed its own checks.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

import typer
from rich.console import Console
from rich.table import Table

from mash.chaos.tally import Result
from mash.errors import UsageError

if TYPE_CHECKING:
    from mash.topics import Topics

_err = Console(stderr=True)


@contextlib.contextmanager
def _scenario_topics(bootstrap: str, partitions: int, create: bool) -> Iterator[Topics]:
    """A fresh topic prefix (created on the shared broker when ``create``), deleted after."""
    from mash.broker.admin import admin_client
    from mash.broker.topics import create_topics
    from mash.topics import Topics

    topics = Topics(f"chaos{uuid4().hex[:8]}.")
    if create:
        create_topics(bootstrap, topics, partitions)
    try:
        yield topics
    finally:
        if create:
            with contextlib.suppress(Exception), admin_client(bootstrap, timeout_s=10) as client:
                client.delete_topics(list(topics.all()))


def _table(results: list[Result]) -> Table:
    table = Table(title="mash chaos")
    for column in ("scenario", "published", "children", "decided", "lost", "duplicated", "s", "ok"):
        table.add_column(column, justify="left" if column == "scenario" else "right")
    for r in results:
        table.add_row(
            r.scenario,
            str(r.published),
            str(r.children_expected),
            str(r.decided),
            str(r.lost),
            str(r.duplicated),
            f"{r.seconds:.0f}",
            "yes" if r.passed else "[red]NO[/red]",
        )
    return table


def chaos(
    quick: bool = typer.Option(
        False, "--quick", help="CI sizes: ~2,000 referrals, a few faults per scenario (minutes)."
    ),
    full: bool = typer.Option(
        False,
        "--full",
        help="Hand-run sizes: e.g. 20 worker kills "
        "over 50,000 referrals (an hour or more on 2 cores).",
    ),
    scenario: list[str] | None = typer.Option(
        None,
        "--scenario",
        help="Run only this "
        "scenario (repeatable): worker-kill, sink-kill, "
        "broker-kill, cluster-leader-kill, fuzz, "
        "db-outage (needs MASH_TEST_POSTGRES_URL), "
        "poison.",
    ),
    json_file: Path | None = typer.Option(
        None, "--json", help="Write the results list as JSON to this file."
    ),
    partitions: int = typer.Option(2, "--partitions", help="Partitions per topic."),
    keep: bool = typer.Option(
        False,
        "--keep",
        help="Keep the scratch directory (logs, decision logs) and print where it is.",
    ),
    referrals: int | None = typer.Option(
        None,
        "--referrals",
        min=1,
        help="Override the "
        "number of referrals of every scenario run (a "
        "smaller full run on a slow machine; say so).",
    ),
) -> None:
    """Inject real faults mid-stream, then count the decision log.

    Kills workers, sinks and brokers; feeds garbage and poison messages. Each scenario
    publishes generated referrals (acks=all), runs real `mash worker` and `mash sink`
    processes, injects its fault, then counts every acknowledged referral's children in the
    decision log: lost (no decision) and duplicated (logged twice).
    """
    from dataclasses import replace

    from mash.chaos.scenarios import SCENARIOS, SHARED_BROKER, Stage, unavailable
    from mash.config import Settings

    if quick == full:
        raise UsageError("give exactly one of --quick or --full")
    names = scenario or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        raise UsageError(f"unknown scenario {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    bootstrap = Settings.load().bootstrap
    scratch = Path(tempfile.mkdtemp(prefix="mash-chaos-"))
    results: list[Result] = []
    for name in names:
        function, quick_size, full_size = SCENARIOS[name]
        missing = unavailable(name)
        if missing and scenario:
            raise UsageError(f"scenario {name} cannot run: {missing}")
        if missing:
            _err.print(f"[yellow]{name}: skipped ({missing})[/yellow]")
            continue
        size = quick_size if quick else full_size
        if referrals is not None:
            size = replace(size, referrals=referrals)
        home = scratch / name
        home.mkdir()
        _err.print(f"[bold]{name}[/bold]: running ({'quick' if quick else 'full'})")
        with _scenario_topics(bootstrap, partitions, name in SHARED_BROKER) as topics:
            result = function(Stage(bootstrap, topics, home), size)
        results.append(result)
        _err.print(
            f"{name}: lost {result.lost}, duplicated {result.duplicated}; "
            + "; ".join(result.notes)
        )
    Console().print(_table(results))
    if json_file is not None:
        json_file.write_text(json.dumps([r.to_dict() for r in results], indent=2) + "\n")
    if keep:
        _err.print(f"scratch kept in {scratch}")
    else:
        import shutil

        shutil.rmtree(scratch, ignore_errors=True)
    if not all(r.passed for r in results):
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("chaos")(chaos)
