"""CLI commands of this area (registered by :mod:`mash.cli`): ``mash rules check``,
``mash route`` and ``mash whatif``.

Thin: parse options, call :mod:`mash.rules.loader`, :mod:`mash.rules.offline` or
:mod:`mash.rules.whatif`, print. Decisions and JSON reports go to stdout; messages, progress
and summaries to stderr, and never personal data (ids and counts only).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console

if TYPE_CHECKING:
    from mash.domain.decision import DecisionRecord
    from mash.rules.corpus import CorpusReport
    from mash.rules.loader import RuleFileReport
    from mash.rules.offline import Bad, Emit, RouteSummary
    from mash.rules.whatif import WhatIfReport

rules_app = typer.Typer(help="Check threshold rule sets.", no_args_is_help=True)

_err = Console(stderr=True)
_DOWN_SHOWN = 50

JsonOption = typer.Option(False, "--json", help="Print one JSON object instead of text.")


# --------------------------------------------------------------------------- rules check


@rules_app.command("check")
def check(
    file: Path | None = typer.Argument(
        None, help="The rules file (YAML) to validate (default: the shipped rules)."
    ),
    corpus: Path | None = typer.Option(
        None,
        "--corpus",
        help="Also route a guidance corpus (directories with expected.jsonl) and compare "
        "each child with the routes its guidance accepts.",
    ),
    show_all: bool = typer.Option(
        False, "--all", help="With --corpus: list every child, not only those off the guidance."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Validate a rule set and print its version.

    Checks YAML syntax, required and unknown keys, that every condition compiles and gives
    true/false, that it names only known facts, duplicate ids, levels without a route and
    mapped levels no rule can reach.

    With --corpus DIR, routes every case of the corpus and prints, per child off the
    guidance and in all: exact, acceptable, under (below the lowest acceptable route),
    over (above the highest) and missing (not decided).

    Exit 0 valid (warnings allowed) and no child under or missing; 1 invalid or a child
    under or missing; 2 unreadable.
    """
    from mash.rules.loader import DEFAULT_RULES, check_rules_file

    report = check_rules_file(file if file is not None else DEFAULT_RULES)
    outcome = None
    if corpus is not None and report.rule_set is not None and not report.errors:
        from mash.rules.corpus import check_corpus

        outcome = check_corpus(corpus, report.rule_set)
    if as_json:
        payload = _check_payload(report)
        if outcome is not None:
            payload["corpus"] = outcome.as_dict()
        typer.echo(json.dumps(payload))
    else:
        _print_check(report)
        if outcome is not None:
            _print_corpus(outcome, show_all)
    if report.errors or (outcome is not None and not outcome.safe):
        raise typer.Exit(1)


@rules_app.command("coverage")
def coverage(
    matrix: Path | None = typer.Option(
        None, "--matrix", help="Directory of matrix files (default: docs/coverage)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the Markdown here instead of printing it."
    ),
    check: bool = typer.Option(
        False, "--check", help="With --out: exit 1 if the file is not what would be written."
    ),
) -> None:
    """Render the coverage matrix of published guidance as Markdown.

    Every indicator of every document in docs/coverage, with the rules that cover it or why
    nothing can. Exit 0 done; 1 with --check when --out differs; 2 bad input.
    """
    from mash.rules.coverage import MATRIX_DIR, read_matrix, render
    from mash.rules.loader import load_rules

    text = render(read_matrix(matrix or MATRIX_DIR), load_rules())
    if out is None:
        typer.echo(text, nl=False)
    elif check:
        if not out.exists() or out.read_text(encoding="utf-8") != text:
            _err.print(f"{out} is out of date: run mash rules coverage --out {out}")
            raise typer.Exit(1)
    else:
        out.write_text(text, encoding="utf-8")


def _print_corpus(report: CorpusReport, show_all: bool) -> None:
    from mash.rules.corpus import OFF_GUIDANCE, VERDICTS, lines

    for line in lines(report, VERDICTS if show_all else OFF_GUIDANCE):
        typer.echo(line)


def _check_payload(report: RuleFileReport) -> dict[str, Any]:
    rules = report.rule_set
    return {
        "file": report.path,
        "version": report.version,
        "valid": not report.errors,
        "rules": len(rules.rules) if rules else None,
        "levels": {str(k): v for k, v in rules.levels.items()} if rules else None,
        "errors": [str(p) for p in report.errors],
        "warnings": [str(p) for p in report.warnings],
    }


def _print_check(report: RuleFileReport) -> None:
    for problem in report.problems:
        colour = "red" if problem.severity == "error" else "yellow"
        _err.print(f"[{colour}]{problem.severity}[/{colour}] {problem}", highlight=False)
    rules = report.rule_set
    if rules is None or report.errors:
        typer.echo(
            f"{report.path}: INVALID ({len(report.errors)} errors), version {report.version}"
        )
        return
    counts = {level: sum(r.level == level for r in rules.rules) for level in rules.levels}
    levels = ", ".join(
        f"{lvl} {route} ({counts[lvl]} rules)"
        for lvl, route in sorted(rules.levels.items(), reverse=True)
    )
    typer.echo(
        f"{report.path}: valid, version {rules.version}: {len(rules.rules)} rules; "
        f"levels {levels}; default level {rules.default_level}"
    )


# --------------------------------------------------------------------------- route


def _parse_time(text: str | None) -> datetime:
    if text is None:
        return datetime.now(UTC)
    from mash.errors import UsageError

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"--received-at {text!r} is not an ISO-8601 time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def route(
    agency: str = typer.Argument(..., help="police, health or council."),
    file: Path = typer.Argument(..., help="The agency's referrals: JSON Lines or Avro container."),
    records: Path | None = typer.Option(
        None,
        "--records",
        help="Directory of cross-agency records (social-care.jsonl, "
        "early-help.jsonl, police.jsonl, health.jsonl); a missing file makes that agency's "
        "check UNAVAILABLE, an empty file means available with nobody in it.",
    ),
    rules: Path | None = typer.Option(None, "--rules", help="Rules file (default: shipped)."),
    db: str | None = typer.Option(
        None, "--db", help="Also append decisions to this decision log (database URL)."
    ),
    received_at: str | None = typer.Option(
        None,
        "--received-at",
        help="When the hub received these referrals (ISO-8601; default "
        "now): deadlines run from it and ages are taken on that day.",
    ),
) -> None:
    """Route referrals offline (no broker): one decision per child as JSON Lines on stdout.

    Bad lines are reported on stderr by line number; the rest are still routed and the exit
    code is 2.
    """
    from mash.config import hub_area
    from mash.domain.routing import Router
    from mash.rules.loader import load_rules
    from mash.rules.offline import Tee, load_records, read_input, route_records, writer

    received = _parse_time(received_at)
    rule_set = load_rules(rules)
    index, problems = load_records(records)
    for problem in problems:
        _err.print(f"[yellow]records:[/yellow] {problem}", highlight=False)
    items = read_input(file)
    emit: Emit = writer(sys.stdout)
    tee = None
    if db is not None:
        from mash.audit.store import open_log

        emit = tee = Tee(emit, open_log(db))
    started = time.perf_counter()
    with _progress(emit) as shown:
        router = Router(rule_set, index, area=hub_area())
        summary = route_records(agency, items, router, received, shown, _bad)
    sys.stdout.flush()
    summary.logged = tee.logged if tee else 0
    _print_summary(summary, time.perf_counter() - started, rule_set.version, db)
    if summary.bad or problems:
        raise typer.Exit(2)


@contextmanager
def _progress(emit: Emit) -> Iterator[Emit]:
    """On a terminal, a spinner counting decisions on stderr; otherwise nothing extra."""
    if not _err.is_terminal:
        yield emit
        return
    done = 0
    with _err.status("routing") as status:

        def counted(batch: list[DecisionRecord]) -> None:
            nonlocal done
            emit(batch)
            done += len(batch)
            status.update(f"routing: {done:,} children decided")

        yield counted


def _bad(bad: Bad) -> None:
    _err.print(f"[red]bad input[/red] {bad}", highlight=False)


def _print_summary(summary: RouteSummary, seconds: float, version: str, db: str | None) -> None:
    from mash.domain.routes import Route

    routes = ", ".join(f"{route} {summary.routes[route]}" for route in Route.ordered())
    rate = summary.referrals / seconds if seconds > 0 else 0.0
    logged = f"; {summary.logged} new in the decision log" if db else ""
    bad = f"; {summary.bad} bad lines" if summary.bad else ""
    _err.print(
        f"routed {summary.referrals} referrals ({summary.children} children) under rules "
        f"{version} in {seconds:.2f} s ({rate:,.0f}/s): {routes}{bad}{logged}",
        highlight=False,
        soft_wrap=True,
    )


# --------------------------------------------------------------------------- whatif


def whatif(
    rules: Path = typer.Option(..., "--rules", help="The proposed rules file."),
    db: str | None = typer.Option(None, "--db", help="Decision log URL (default: settings)."),
    since: str | None = typer.Option(
        None, "--since", help="Only decisions made on or after this date (YYYY-MM-DD)."
    ),
    as_json: bool = JsonOption,
    fail_on_down: bool = typer.Option(
        False,
        "--fail-on-down",
        help="Exit 1 if any child would go to a lower route (for CI on a rules change).",
    ),
) -> None:
    """Re-decide the logged children under another rule set: the transition matrix and every
    child whose route would go down, for a safety review before a policy change."""
    from mash.audit.store import open_log
    from mash.errors import UsageError
    from mash.rules.loader import load_rules
    from mash.rules.whatif import whatif as run_whatif

    try:
        since_date = date.fromisoformat(since) if since else None
    except ValueError:
        raise UsageError(f"--since {since!r} is not a date (YYYY-MM-DD)") from None
    rule_set = load_rules(rules)
    report = run_whatif(open_log(db).iter_decisions(since_date), rule_set)
    if as_json:
        typer.echo(json.dumps(report.as_dict()))
    else:
        _print_whatif(report)
    if fail_on_down and report.downgrades:
        raise typer.Exit(1)


def _print_whatif(report: WhatIfReport) -> None:
    from rich.table import Table

    from mash.domain.routes import Route

    routes = Route.ordered()
    out = _wide_console()
    matrix = Table(title=f"Current route (rows) x route under rules {report.rule_set_version}")
    matrix.add_column("current \\ new")
    for route in routes:
        matrix.add_column(route, justify="right")
    for row, old in enumerate(routes):
        cells = []
        for column, new in enumerate(routes):
            count = report.count(old, new)
            style = "" if count == 0 or row == column else ("red" if column > row else "yellow")
            cells.append(f"[{style}]{count}[/{style}]" if style else str(count))
        matrix.add_row(old, *cells)
    out.print(matrix)
    if report.downgrades:
        _print_downgrades(out, report)
    compared = ", ".join(report.versions_compared) or "no rules"
    out.print(
        f"{report.total} children re-decided (logged under {compared}): "
        f"{report.unchanged} unchanged, {len(report.downgrades)} down, "
        f"{len(report.upgrades)} up; {len(report.skipped)} skipped, "
        f"{report.overrides_ignored} overrides not re-decided",
        highlight=False,
        soft_wrap=True,
    )
    for ref, why in report.skipped[:10]:
        _err.print(f"[yellow]skipped[/yellow] {ref}: {why}", highlight=False)


def _wide_console() -> Console:
    """A console for tables: the terminal's width, or 160 columns when piped to a file (a
    review is read whole, not on an 80-column default)."""
    out = Console()
    return out if out.is_terminal else Console(width=160)


def _print_downgrades(out: Console, report: WhatIfReport) -> None:
    from rich.table import Table

    table = Table(title="Children whose route would go DOWN (review each before adopting)")
    columns = ("decision id", "child key", "referral", "current -> new", "rules no longer firing")
    for name in columns:
        table.add_column(name, overflow="fold")  # ids are never cut short
    for move in report.downgrades[:_DOWN_SHOWN]:
        table.add_row(
            move.decision_id,
            move.child_key,
            f"{move.agency} {move.source_id} #{move.child_index}",
            f"[red]{move.old_route} -> {move.new_route}[/red]",
            ", ".join(move.lost_rules) or "-",
        )
    out.print(table)
    if len(report.downgrades) > _DOWN_SHOWN:
        out.print(f"... and {len(report.downgrades) - _DOWN_SHOWN} more (use --json for all)")


# --------------------------------------------------------------------------- registration


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
    app.add_typer(rules_app, name="rules")
    app.command("route")(route)
    app.command("whatif")(whatif)
