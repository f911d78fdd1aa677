"""``mash demo``: the whole path on one machine, as a new user would run it by hand.

Each step is the ``mash`` command a hub would run (broker, topics, records, workers, agency
publishers, the log), so the demo doubles as a walk-through: what it prints is what the
commands print. It uses the real topic names and the default decision log, so that after it
ends ``mash queue list``, ``mash board`` and ``mash audit show`` see the same work.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mash.config import Settings
from mash.domain.routes import Route
from mash.errors import MashError

if TYPE_CHECKING:
    from mash.domain.decision import DecisionRecord

AGENCY_ID_FIELDS = {"police": "ppn_id", "health": "referralId", "council": "request_ref"}
RECORD_KINDS = ("social-care", "early-help", "police", "health")

out = Console()


def _mash(*args: str, quiet: bool = False) -> None:
    """Run one ``mash`` command, showing it first, and fail the demo if it fails."""
    out.print(f"[bold cyan]$ mash {' '.join(args)}[/bold cyan]")
    done = subprocess.run(
        [sys.executable, "-m", "mash", *args],
        stdout=subprocess.DEVNULL if quiet else None,
        check=False,
    )
    # 2 from publish means "some lines rejected": shown, not fatal for a demo.
    if done.returncode not in (0, 2) or (done.returncode == 2 and args[0] != "publish"):
        raise MashError(f"`mash {' '.join(args)}` failed with exit code {done.returncode}")


@contextmanager
def _background(name: str, args: list[str], logs: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A long-running ``mash`` process (worker, sink) with its log in ``logs``; stopped with
    SIGTERM (a clean shutdown) when the block ends."""
    log_path = logs / f"{name}.log"
    out.print(f"[bold cyan]$ mash {' '.join(args)} &[/bold cyan]  [dim](log: {log_path})[/dim]")
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "mash", *args], stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _expected_children(data: Path) -> set[tuple[str, str, int]]:
    """(agency, referral id, child index) of every child in the generated agency files."""
    wanted: set[tuple[str, str, int]] = set()
    for agency, id_field in AGENCY_ID_FIELDS.items():
        for line in (data / f"{agency}.jsonl").read_text().splitlines():
            record = json.loads(line)
            count = len(record["children"]) if agency == "police" else 1
            wanted.update((agency, record[id_field], index) for index in range(count))
    return wanted


def _decided(url: str, wanted: set[tuple[str, str, int]]) -> list[DecisionRecord]:
    from mash.audit.store import open_log

    with open_log(url) as log:
        return [
            decision
            for decision in log.iter_decisions()
            if decision.get("kind") == "decision"
            and (decision["agency"], decision["source_id"], decision["child_index"]) in wanted
        ]


def _wait_for_log(
    url: str, wanted: set[tuple[str, str, int]], timeout: float
) -> list[DecisionRecord]:
    """Poll the decision log until every expected child has its decision (or time runs out)."""
    columns = (TextColumn("decided"), BarColumn(), TextColumn("{task.completed}/{task.total}"))
    deadline = time.monotonic() + timeout
    with Progress(*columns, TimeElapsedColumn(), console=out) as progress:
        task = progress.add_task("decided", total=len(wanted))
        while True:
            decided = _decided(url, wanted)
            progress.update(task, completed=len(decided))
            if len(decided) >= len(wanted) or time.monotonic() > deadline:
                return decided
            time.sleep(1.0)


def _show_queues(decided: list[DecisionRecord]) -> None:
    routes = Counter(d["route"] for d in decided)
    flags = Counter(flag for d in decided for flag in d["flags"])
    table = Table(title="Routed queues (children decided in this demo)")
    table.add_column("queue")
    table.add_column("children", justify="right")
    for route in Route.ordered():
        table.add_row(f"mash.queue.{route}", str(routes.get(route, 0)))
    out.print(table)
    if flags:
        out.print("flags: " + ", ".join(f"{name} {count}" for name, count in flags.most_common()))


def run_demo(referrals: int, seed: int, timeout: float) -> int:
    """Run the demo; return the exit code (0 when every child was decided and the log verifies)."""
    settings = Settings.load()
    workdir = settings.home / "demo"
    data = workdir / f"data-{seed}-{referrals}"
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    url = settings.database_url
    env_note = f"MASH_HOME={settings.home}  broker {settings.bootstrap}  log {url}"
    out.rule("[bold]MASH Broker demo")
    out.print(env_note)

    out.rule("1. A local Kafka broker (KRaft) and the topics")
    _mash("broker", "start")
    _mash("topics", "create", quiet=True)

    out.rule("2. Synthetic referrals from every agency, and their records")
    if not (data / "manifest.json").exists():
        _mash("generate", "--referrals", str(referrals), "--seed", str(seed), "--out", str(data))
    for kind in RECORD_KINDS:
        _mash("records", "load", kind, str(data / "records" / f"{kind}.jsonl"))

    out.rule("3. The router (worker) and the decision-log sink")
    with (
        _background("worker", ["worker", "--loglevel", "warn"], logs),
        _background("sink", ["sink"], logs),
    ):
        out.rule("4. Agencies publish their referrals")
        for agency in AGENCY_ID_FIELDS:
            _mash("publish", agency, str(data / f"{agency}.jsonl"))
        wanted = _expected_children(data)
        out.rule(f"5. Waiting for {len(wanted)} children to be decided and logged")
        decided = _wait_for_log(url, wanted, timeout)

    out.rule("6. The routed queues and the decision log")
    _show_queues(decided)
    by_route: dict[str, DecisionRecord] = {}
    for decision in decided:
        by_route.setdefault(decision["route"], decision)
    for route in Route.ordered():
        if route in by_route:
            _mash("audit", "show", str(by_route[route]["decision_id"]), "--as", "demo")
    _mash("audit", "verify")

    missing = len(wanted) - len(decided)
    out.rule("Next")
    out.print(
        "Work the queues:   mash queue list s47      mash sla report\n"
        "Open the board:    mash board adduser manager --role team-manager   (choose a password)\n"
        "                   mash board   then open http://127.0.0.1:8080/ and log in\n"
        "Ask the log why:   mash audit query --route s47     mash audit export --format csv\n"
        "Stop the broker:   mash broker stop"
    )
    if missing:
        out.print(f"[red]{missing} children were not decided within {timeout:.0f} s[/red]")
        out.print(f"see the logs in {logs}")
        return 1
    return 0


def register(app: typer.Typer) -> None:
    """Add ``mash demo`` to the app."""

    @app.command()
    def demo(
        referrals: int = typer.Option(200, "--referrals", "-n", help="Referrals to generate."),
        seed: int = typer.Option(7, help="Seed of the generated data."),
        timeout: float = typer.Option(300.0, help="Seconds to wait for every decision."),
    ) -> None:
        """Run the whole path locally, from referrals to the decision log.

        The broker, workers, referrals from every agency, the routed queues and the
        decision log.
        """
        os.environ.setdefault("PYTHONUNBUFFERED", "1")
        raise typer.Exit(run_demo(referrals, seed, timeout))
