"""``mash audit ...`` and ``mash sink``: the decision log's commands (registered by mash.cli).

Thin: parse options, call mash.audit, print. Heavy imports (SQLAlchemy, Kafka, cryptography)
happen inside the commands so ``mash --help`` stays fast. Exit codes: 0 ok, 1 the log does
not verify (or another failure), 2 bad usage or input (an unknown decision id, a bad date).
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mash.audit.store import QueryFilter
    from mash.audit.verify import VerifyReport

audit_app = typer.Typer(
    name="audit",
    help="The decision log: verify, checkpoint, show, query and export.\n\nEvery read is logged.",
    no_args_is_help=True,
)

DB_HELP = "Database URL (default: MASH_DATABASE_URL, else decisions.db in MASH_HOME)."
AS_HELP = "Who is reading, for the access log (default: $USER)."


def _db_option() -> Any:
    return typer.Option(None, "--db", help=DB_HELP, show_default=False)


def _as_option() -> Any:
    return typer.Option(None, "--as", help=AS_HELP, show_default=False)


def default_key_path() -> Path:
    from mash.config import mash_home

    return mash_home() / "audit" / "checkpoint.key"


def _day(value: str | None, option: str) -> date | None:
    from mash.errors import UsageError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{option} must be a date like 2026-05-20") from None


def _filter(
    child_key: str | None,
    source_id: str | None,
    route: str | None,
    rule: str | None,
    since: str | None,
    until: str | None,
) -> QueryFilter:
    from mash.audit.store import QueryFilter
    from mash.domain.routes import Route
    from mash.errors import UsageError

    if route is not None and Route.parse(route) is None:
        raise UsageError(f"--route must be one of {', '.join(Route.ordered())}")
    return QueryFilter(
        child_key=child_key,
        source_id=source_id,
        route=route,
        rule=rule,
        since=_day(since, "--since"),
        until=_day(until, "--until"),
    )


def _progress(total: int, label: str) -> Any:
    """A progress bar on stderr for long scans (silent when stderr is not a terminal)."""
    from rich.console import Console
    from rich.progress import track

    console = Console(stderr=True)

    def wrap(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
        return track(
            rows,
            total=total,
            description=label,
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )

    return wrap


def _print_report(report: VerifyReport) -> None:
    typer.echo(f"Decision log: {report.entries} entries, Merkle root {report.root_hash}")
    typer.echo(f"Access log: {report.access_entries} records")
    if report.checkpoint is not None:
        head = report.checkpoint
        typer.echo(f"Checkpoint: {head.tree_size} entries signed at {head.timestamp}")
    if report.ok:
        checked = "the Merkle root and the checkpoint" if report.checkpoint else "the Merkle root"
        typer.echo(f"OK: every entry, both chains and {checked} hold.")
        if report.checkpoint is None:
            typer.echo(
                "(no --checkpoint given: a truncation or rollback of the whole log is "
                "only detected against a checkpoint kept outside the database)"
            )
        return
    typer.echo(f"FAILED: {report.problem_count} problem(s). First: {report.first}", err=True)
    for problem in report.problems[1:]:
        typer.echo(f"  {problem}", err=True)
    if report.problem_count > len(report.problems):
        typer.echo(f"  ... and {report.problem_count - len(report.problems)} more", err=True)


def _report_json(report: VerifyReport) -> str:
    return json.dumps(
        {
            "ok": report.ok,
            "entries": report.entries,
            "access_entries": report.access_entries,
            "root_hash": report.root_hash,
            "head_hash": report.head_hash,
            "checkpoint_size": None if report.checkpoint is None else report.checkpoint.tree_size,
            "problem_count": report.problem_count,
            "problems": [
                {"log": p.log, "seq": p.seq, "decision_id": p.decision_id, "message": p.message}
                for p in report.problems
            ],
        },
        indent=2,
    )


@audit_app.command("verify")
def verify(
    db: str | None = _db_option(),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="A signed checkpoint the log must still contain.", dir_okay=False
    ),
    public_key: Path | None = typer.Option(
        None,
        "--public-key",
        help="Only trust checkpoints signed by this key (PEM).",
        dir_okay=False,
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Check that nothing in the log was changed, removed, inserted or reordered.

    Recomputes every entry hash, both chains (decisions and access log), the Merkle root
    and, with --checkpoint, that the log still contains the signed tree (no truncation or
    rollback). Names the first entry that does not match by position and decision id.
    Exit 0 only when everything holds, else 1.
    """
    from mash.audit.checkpoint import load_checkpoint, load_public_key
    from mash.audit.store import open_log
    from mash.audit.verify import verify_log

    signed = load_checkpoint(checkpoint) if checkpoint else None
    trusted = load_public_key(public_key) if public_key else None
    with open_log(db) as log:
        report = verify_log(log, signed, trusted, track=_progress(log.count(), "Verifying"))
    if as_json:
        typer.echo(_report_json(report))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("keygen")
def keygen(
    out: Path = typer.Option(
        None,
        "--out",
        help="Private key file (default: $MASH_HOME/audit/checkpoint.key).",
        dir_okay=False,
        show_default=False,
    ),
) -> None:
    """Create an Ed25519 signing key for checkpoints.

    The private key is written with mode 0600 and its public key beside it as FILE.pub.
    Keep the public key with the auditors; the key never needs to be on the database server.
    """
    from mash.audit.checkpoint import generate_key, key_id, public_key_path

    path = out or default_key_path()
    public = generate_key(path)
    typer.echo(f"signing key {path} (mode 0600), public key {public_key_path(path)}")
    typer.echo(f"key id {key_id(public)}")


@audit_app.command("checkpoint")
def checkpoint(
    db: str | None = _db_option(),
    key: Path | None = typer.Option(
        None,
        "--key",
        help="Signing key (default: $MASH_HOME/audit/checkpoint.key).",
        dir_okay=False,
        show_default=False,
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Write the checkpoint here (default: stdout).", dir_okay=False
    ),
) -> None:
    """Verify the log, then print a signed tree head (a checkpoint).

    The checkpoint holds the tree size, Merkle root, chain heads and time, signed with
    Ed25519. Auditors keep it outside the database; `mash audit verify --checkpoint FILE`
    later proves the log still contains exactly this tree (no rewrite, truncation or
    rollback).
    """
    from datetime import UTC, datetime

    from mash.audit.checkpoint import load_signing_key
    from mash.audit.store import open_log
    from mash.audit.verify import checkpoint_log
    from mash.errors import UsageError

    path = key or default_key_path()
    if not path.exists():
        raise UsageError(
            f"no signing key at {path}: create one with `mash audit keygen --out {path}`"
        )
    signing_key = load_signing_key(path)
    with open_log(db) as log:
        signed = checkpoint_log(
            log, signing_key, datetime.now(UTC), track=_progress(log.count(), "Checkpointing")
        )
    text = signed.to_json() + "\n"
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text)
        typer.echo(f"checkpoint of {signed.head.tree_size} entries written to {out}", err=True)


@audit_app.command("show")
def show(
    decision_id: str = typer.Argument(..., help="The decision (or staff override) id."),
    db: str | None = _db_option(),
    who: str | None = _as_option(),
    as_json: bool = typer.Option(False, "--json", help="The decision and overrides as JSON."),
) -> None:
    """Explain one decision in plain English.

    Shows the route, every rule that fired and why, the checks with other agencies, the
    identity match, flags, deadline, and every confirmation or override by hub staff.
    The read is recorded in the access log.
    """
    from mash.audit import queries
    from mash.audit.store import open_log

    reader = queries.reader_name(who)
    with open_log(db) as log:
        if as_json:
            typer.echo(json.dumps(queries.show_json(log, decision_id, reader), indent=2))
        else:
            typer.echo(queries.show(log, decision_id, reader))


@audit_app.command("query")
def query(
    child_key: str | None = typer.Option(None, "--child-key", help="The hub's key for a child."),
    source_id: str | None = typer.Option(None, "--source-id", help="An agency's referral id."),
    route: str | None = typer.Option(None, "--route", help="s47, assessment, caf or universal."),
    rule: str | None = typer.Option(None, "--rule", help="Decisions in which this rule fired."),
    since: str | None = typer.Option(None, "--since", help="Decided on or after (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Decided on or before (YYYY-MM-DD)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Whole decisions as JSON Lines."),
    db: str | None = _db_option(),
    who: str | None = _as_option(),
) -> None:
    """Find decisions by child, referral, route, rule or date range (UTC).

    Oldest first; the read is recorded in the access log.
    """
    from rich.console import Console
    from rich.table import Table

    from mash.audit import queries
    from mash.audit.store import open_log

    wanted = _filter(child_key, source_id, route, rule, since, until)
    reader = queries.reader_name(who)
    with open_log(db) as log:
        found = list(queries.query(log, wanted, reader, limit))
    if as_json:
        for decision in found:
            typer.echo(json.dumps(decision, sort_keys=True))
        return
    table = Table("kind", "referral", "child", "route", "level", "decided", "why")
    table.add_column("decision", no_wrap=True)
    for decision in found:
        row = queries.summary(decision)
        cells = ["" if v is None else str(v) for v in row.values()]
        table.add_row(*cells[1:], cells[0])
    console = Console() if sys.stdout.isatty() else Console(width=200)
    console.print(table)
    typer.echo(f"{len(found)} decision(s)", err=True)


@audit_app.command("export")
def export(
    fmt: str = typer.Option(..., "--format", help="csv or jsonl."),
    out: Path | None = typer.Option(None, "--out", help="File (default: stdout).", dir_okay=False),
    child_key: str | None = typer.Option(None, "--child-key", help="Only this child."),
    source_id: str | None = typer.Option(None, "--source-id", help="Only this referral."),
    route: str | None = typer.Option(None, "--route", help="Only this route."),
    rule: str | None = typer.Option(None, "--rule", help="Only decisions where it fired."),
    since: str | None = typer.Option(None, "--since", help="Decided on or after (YYYY-MM-DD)."),
    until: str | None = typer.Option(None, "--until", help="Decided on or before (YYYY-MM-DD)."),
    db: str | None = _db_option(),
    who: str | None = _as_option(),
) -> None:
    """Export log entries as CSV or JSON Lines.

    CSV has one row per entry. JSON Lines carries each entry as sealed, with its position
    and hashes, so the export can be re-verified without the database. The read is
    recorded in the access log.
    """
    from mash.audit import queries
    from mash.audit.store import open_log
    from mash.errors import UsageError

    if fmt not in queries.EXPORT_FORMATS:
        raise UsageError("--format must be csv or jsonl")
    wanted = _filter(child_key, source_id, route, rule, since, until)
    reader = queries.reader_name(who)
    with open_log(db) as log:
        if out is None:
            count = queries.export(log, fmt, sys.stdout, reader, wanted)
        else:
            with out.open("w", newline="", encoding="utf-8") as stream:
                count = queries.export(log, fmt, stream, reader, wanted)
    typer.echo(f"exported {count} entries", err=True)


@audit_app.command("prove")
def prove(
    decision_id: str = typer.Argument(..., help="The decision to prove."),
    checkpoint: Path | None = typer.Option(
        None, "--checkpoint", help="Prove inclusion in this signed tree.", dir_okay=False
    ),
    db: str | None = _db_option(),
    who: str | None = _as_option(),
) -> None:
    """Print an RFC 6962 inclusion proof that a decision is in the log.

    With --checkpoint, the proof is against the signed tree. Anyone can check it with the
    Merkle root and no database access.
    """
    from mash.audit import queries
    from mash.audit.checkpoint import load_checkpoint
    from mash.audit.proofs import inclusion
    from mash.audit.store import open_log

    signed = load_checkpoint(checkpoint) if checkpoint else None
    reader = queries.reader_name(who)
    with open_log(db) as log:
        log.record_access(reader, "prove", {"decision_id": decision_id})
        proof = inclusion(log, decision_id, signed)
    typer.echo(json.dumps(proof, indent=2))


def sink(
    db: str | None = _db_option(),
    group: str = typer.Option(
        "mash-sink", "--group", help="Consumer group its positions are mirrored to, for lag."
    ),
    batch: int = typer.Option(500, "--batch", min=1, max=10_000, help="Entries per transaction."),
    max_wait_ms: int = typer.Option(
        200, "--max-wait-ms", min=1, help="Commit a partial batch after this long."
    ),
    until_idle: float | None = typer.Option(
        None,
        "--until-idle",
        min=0.1,
        help="Exit 0 after this many seconds with nothing to read and no staff event held.",
    ),
    hold_s: float = typer.Option(
        300.0,
        "--hold-s",
        min=0.1,
        help="How long a staff event waits for its decision to be logged before it is "
        "dead-lettered.",
    ),
) -> None:
    """Copy mash.decisions and mash.overrides into the decision log, exactly once.

    Consumer offsets are stored in the same database transaction as the entries, so a
    crash at any point loses and duplicates nothing. The sink reads every partition itself
    (one sink per log); a restarted sink resumes at once.

    A staff confirmation or override read before its decision waits (in order, up to
    --hold-s) and is logged after it. Undecodable messages, and staff events whose decision
    never came, go to mash.deadletter with the reason.

    Runs until SIGTERM/Ctrl-C (or --until-idle).
    """
    import logging

    from mash.audit.sink import SinkConfig, run_sink
    from mash.audit.store import open_log
    from mash.config import Settings
    from mash.kafka import ClientSecurity
    from mash.topics import Topics

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("mash").setLevel(logging.INFO)
    settings = Settings.load()
    config = SinkConfig(
        bootstrap=settings.bootstrap,
        topics=Topics(settings.topic_prefix),
        group=group,
        batch=batch,
        max_wait_ms=max_wait_ms,
        until_idle_s=until_idle,
        hold_s=hold_s,
        security=ClientSecurity.from_settings(),
    )
    with open_log(db) as log:
        done = run_sink(config, log)
    typer.echo(f"logged {done.logged} new entries, {done.deadlettered} dead letters", err=True)


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
    app.add_typer(audit_app, name="audit")
    app.command("sink")(sink)
