"""CLI commands of the hub (registered by :mod:`mash.cli`): queues, SLA report and the board.

Every command reads the queue and override topics from the beginning into the pure ledger
(hub volumes are small), validates what the person asked for against it, and only then
publishes. Output carries ids, routes, times and rule reasons: never personal data.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from mash.domain.routes import Route
from mash.errors import ConfigError, UsageError
from mash.hub.users import Permission

if TYPE_CHECKING:
    from collections.abc import Callable

    from mash.config import Settings
    from mash.hub.model import HubEvent, WorkItem
    from mash.hub.queues import Ledger
    from mash.hub.users import Staff

queue_app = typer.Typer(
    help="Work each child from routing to hand-off: decide, approve, transfer or close."
)
sla_app = typer.Typer(help="Statutory clocks: how each queue stands against its deadlines.")
board_app = typer.Typer(
    help="The web board for hub staff (run with no subcommand to serve it).",
    invoke_without_command=True,
)

JSON_HELP = "One JSON object per line instead of a table."


def _context() -> tuple[Settings, datetime]:
    from mash.config import Settings
    from mash.domain.clocks import SystemClock

    return Settings.load(), SystemClock().now()


def _now() -> datetime:
    from mash.domain.clocks import SystemClock

    return SystemClock().now()


def _ledger(settings: Settings, routes: list[str] | None = None) -> Ledger:
    from mash.hub.kafka_io import load_ledger
    from mash.topics import Topics

    return load_ledger(settings.bootstrap, Topics(settings.topic_prefix), routes)


def _route(route: str) -> str:
    from mash.hub.model import known_route

    return known_route(route)


def _staff(settings: Settings, name: str) -> Staff | None:
    from mash.hub.users import staff_named

    return staff_named(settings.home, name)


def _publish(settings: Settings, events: list[HubEvent]) -> None:
    from mash.hub.kafka_io import EventPublisher
    from mash.topics import Topics

    publisher = EventPublisher(settings.bootstrap, Topics(settings.topic_prefix))
    try:
        publisher.publish(events)
    finally:
        publisher.close()


@queue_app.command("list")
def queue_list(
    route: str = typer.Argument(..., help=f"The queue: one of {', '.join(Route.ordered())}."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    include_decided: bool = typer.Option(False, "--all", help="Also items already decided."),
) -> None:
    """List a queue's items, most urgent first.

    Each with its age, deadline, RAG status, flags and first rule reason.
    """
    from rich.console import Console
    from rich.table import Table

    from mash.hub.sla import hub_policy
    from mash.hub.views import item_row

    settings, now = _context()
    ledger = _ledger(settings, [_route(route)])
    items = ledger.open_items(route)
    if include_decided:
        items += sorted(
            (i for i in ledger.items.values() if not i.is_open and i.routed_to == route),
            key=lambda i: i.deadline,
        )
    policy = hub_policy()
    rows = [item_row(i, now, policy) for i in items]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.to_json(), sort_keys=True))
        return
    table = Table(title=f"{route}: {len(rows)} item(s)")
    for column in ("item", "age"):
        table.add_column(column, no_wrap=True)
    for column in ("deadline", "RAG", "state", "flags"):
        table.add_column(column)
    table.add_column("first reason", ratio=1)
    for row in rows:
        state = f"{row.state} ({row.claimed_by})" if row.claimed_by else row.state
        table.add_row(
            row.short_id,
            row.age,
            row.deadline,
            f"{row.rag.value.upper()} {row.rag.label.lower()}",
            state,
            ", ".join((["EDT: out of hours"] if row.edt else []) + list(row.flags)) or "-",
            row.reason,
        )
    Console().print(table)


@queue_app.command("claim")
def queue_claim(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    staff: str = typer.Option(..., "--as", help="Who is claiming it (staff user id)."),
) -> None:
    """Claim an item to work on it (published to mash.overrides)."""
    from mash.hub.actions import authorise, plan_claim
    from mash.hub.users import Permission

    settings, now = _context()
    ledger = _ledger(settings)
    found = ledger.find(item)
    authorise(_staff(settings, staff), found, Permission.CLAIM)
    events = plan_claim(found, staff, now, _new_id)
    if events:
        _publish(settings, events)
    typer.echo(f"claimed {found.decision_id} as {staff}")


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex


@queue_app.command("decide")
def queue_decide(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    confirm: bool = typer.Option(False, "--confirm", help="Confirm the proposed route."),
    route: str | None = typer.Option(None, "--route", help="Override to this route."),
    reason: str | None = typer.Option(None, "--reason", help="Why (required to override)."),
    staff: str = typer.Option(..., "--as", help="Who decides (staff user id)."),
) -> None:
    """Confirm the route (--confirm) or override it (--route R --reason TEXT).

    Both are published to mash.overrides, and the decision log's sink records them.
    """
    from mash.hub.actions import authorise, plan_confirm, plan_override
    from mash.hub.users import Permission

    if confirm == (route is not None):
        raise UsageError("give either --confirm or --route R --reason TEXT")
    if route is not None:
        _route(route)
        if not reason or not reason.strip():
            raise UsageError("an override needs a reason (--reason TEXT)")
    settings, now = _context()
    ledger = _ledger(settings)
    found = ledger.find(item)
    authorise(_staff(settings, staff), found, Permission.DECIDE)
    if route is None:
        events = plan_confirm(found, staff, now, _new_id)
    else:
        events = plan_override(found, route, reason, staff, now, _new_id)
    _publish(settings, events)
    outcome = f"confirmed on {found.route}" if route is None else f"overridden to {route}"
    typer.echo(f"{found.decision_id} {outcome} by {staff}{_awaiting_note(found, events)}")


def _act(
    item: str, staff: str, permission: Permission, plan: Callable[[WorkItem], list[HubEvent]]
) -> tuple[WorkItem, list[HubEvent]]:
    """Find the item, check who acts may, plan the events and publish them (in that order:
    nothing is published that the state machine or the person's role refuses)."""
    from mash.hub.actions import authorise

    settings, _ = _context()
    found = _ledger(settings).find(item)
    authorise(_staff(settings, staff), found, permission)
    events = plan(found)
    _publish(settings, events)
    return found, events


def _awaiting_note(found: WorkItem, events: list[HubEvent]) -> str:
    """' (awaiting a team manager's approval: why)' when the last event leaves it waiting."""
    from mash.hub.model import ItemState, apply_event

    after = found
    for event in events:
        after = apply_event(after, event)
    if after.state is ItemState.AWAITING_APPROVAL and after.request is not None:
        return f" (awaiting approval: {after.request.why})"
    return ""


@queue_app.command("transfer")
def queue_transfer(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    to: str | None = typer.Option(
        None,
        "--to",
        help="CHILD_PROTECTION, ASSESSMENT_TEAM, EARLY_HELP_HUB, UNIVERSAL_SERVICES or "
        "OTHER_LOCAL_AUTHORITY (default: the team of the item's route).",
    ),
    detail: str | None = typer.Option(
        None, "--detail", help="The other local authority, or the service signposted."
    ),
    staff: str = typer.Option(..., "--as", help="Who hands the child on (staff user id)."),
) -> None:
    """Hand a decided child on from the front door to a named team.

    Stops the five-working-day clock; the decision log records it and the case-management
    system hears of it on mash.outcomes.
    """
    from mash.hub.actions import plan_transfer

    now = _now()
    found, events = _act(
        item,
        staff,
        Permission.DECIDE,
        lambda found: plan_transfer(found, to, detail, staff, now, _new_id),
    )
    typer.echo(f"{found.decision_id} transferred to {events[-1].destination} by {staff}")


@queue_app.command("close")
def queue_close(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    why: str = typer.Option(
        ..., "--why", help="NO_FURTHER_ACTION, ADVICE_GIVEN, SIGNPOSTED or DUPLICATE."
    ),
    reason: str = typer.Option(..., "--reason", help="Why, in words (goes into the log)."),
    staff: str = typer.Option(..., "--as", help="Who closes it (staff user id)."),
) -> None:
    """Close a decided child without a transfer, with a reason.

    No further action, and any close of an s47 or assessment child, wait for a team
    manager's approval before they take effect.
    """
    from mash.hub.actions import plan_close

    now = _now()
    found, events = _act(
        item,
        staff,
        Permission.DECIDE,
        lambda found: plan_close(found, why, reason, staff, now, _new_id),
    )
    typer.echo(f"{found.decision_id} closed ({why}) by {staff}{_awaiting_note(found, events)}")


@queue_app.command("approve")
def queue_approve(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    reason: str | None = typer.Option(None, "--reason", help="Why (optional for approval)."),
    staff: str = typer.Option(..., "--as", help="The team manager approving (staff user id)."),
) -> None:
    """Approve the decision an item awaits (a step down, no further action).

    Team managers only, and never the person who asked.
    """
    from mash.hub.actions import plan_approve

    now = _now()
    found, _ = _act(
        item,
        staff,
        Permission.APPROVE,
        lambda found: plan_approve(found, reason, staff, now, _new_id),
    )
    typer.echo(f"{found.decision_id} approved by {staff}")


@queue_app.command("refuse")
def queue_refuse(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    reason: str = typer.Option(..., "--reason", help="Why the request is refused."),
    staff: str = typer.Option(..., "--as", help="The team manager refusing (staff user id)."),
) -> None:
    """Refuse the decision an item awaits (back to its worker).

    The route stays as it was; the refusal and its reason go into the decision log.
    """
    from mash.hub.actions import plan_refuse

    now = _now()
    found, _ = _act(
        item,
        staff,
        Permission.APPROVE,
        lambda found: plan_refuse(found, reason, staff, now, _new_id),
    )
    owner = found.request.requested_by if found.request else found.claimed_by
    typer.echo(f"{found.decision_id} refused by {staff}: back to {owner}")


@queue_app.command("release")
def queue_release(
    item: str = typer.Argument(..., help="The item's decision id (or a unique prefix of it)."),
    reason: str = typer.Option(..., "--reason", help="What was done (goes into the log)."),
    staff: str = typer.Option(..., "--as", help="Who hands it back (staff user id)."),
) -> None:
    """Hand a claimed item back to its queue, saying what was done.

    How the emergency duty team returns an out-of-hours s47 child to the hub in the morning.
    """
    from mash.hub.actions import plan_release

    now = _now()
    found, _ = _act(
        item,
        staff,
        Permission.DECIDE,
        lambda found: plan_release(found, reason, staff, now, _new_id),
    )
    typer.echo(f"{found.decision_id} handed back to the {found.route} queue by {staff}")


@sla_app.command("report")
def sla_report_command(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Report how each queue stands against its deadlines.

    Per queue: open items on time, due soon and breached, and the oldest one waiting.
    """
    from rich.console import Console
    from rich.table import Table

    from mash.hub.sla import format_age, hub_policy, sla_report

    settings, now = _context()
    report = sla_report(_ledger(settings).items.values(), now, policy=hub_policy())
    if as_json:
        for line in report:
            typer.echo(json.dumps(line.to_dict(), sort_keys=True))
        return
    table = Table(title="SLA against the statutory clocks")
    for column in ("queue", "open", "on time", "due soon", "breached", "oldest", "waiting"):
        table.add_column(column)
    for q in report:
        table.add_row(
            q.route,
            str(q.open),
            str(q.on_time),
            str(q.due_soon),
            str(q.breached),
            (q.oldest_id or "-")[:8],
            format_age(q.oldest_age) if q.oldest_age is not None else "-",
        )
    Console().print(table)


@sla_app.command("beyond")
def sla_beyond_command(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List the children beyond five working days.

    Still in the front door (decided or not) after the close of the fifth working day from
    receipt: longest overdue first.
    """
    from rich.console import Console
    from rich.table import Table

    from mash.hub.sla import beyond_five_days, format_age, hub_policy
    from mash.hub.views import local_time

    settings, now = _context()
    beyond = beyond_five_days(_ledger(settings).items.values(), now, hub_policy())
    if as_json:
        for line in beyond:
            typer.echo(json.dumps(line.to_dict(), sort_keys=True))
        return
    table = Table(title=f"Beyond five working days: {len(beyond)} child(ren)")
    for column in ("item", "queue", "state", "received", "due out by", "overdue"):
        table.add_column(column)
    for b in beyond:
        table.add_row(
            b.decision_id[:8],
            b.route,
            b.state,
            local_time(b.received_at),
            local_time(b.deadline),
            format_age(b.overdue),
        )
    Console().print(table)


@sla_app.command("track")
def sla_track(
    interval: float = typer.Option(30.0, help="Seconds between looks at the clock."),
    metrics_port: int = typer.Option(
        0, help="Serve Prometheus metrics (alerts sent per kind) on this port; 0: do not."
    ),
    metrics_host: str = typer.Option("127.0.0.1", help="Address for --metrics-port."),
) -> None:
    """Run the SLA tracker on its own (a Faust worker).

    Warnings and breaches of the decision, five-working-day and emergency duty team clocks
    go to mash.alerts (deploy/monitoring delivers them by e-mail). The stream worker can
    carry the tracker instead (register_tracker in mash.hub.tracker); run this where it
    does not.

    Stop with Ctrl-C or SIGTERM; a restart does not re-alert.
    """
    import faust
    from prometheus_client import start_http_server

    from mash.hub.tracker import register_tracker
    from mash.kafka import clients
    from mash.topics import Topics

    settings, _ = _context()
    topics = Topics(settings.topic_prefix)
    app = clients.faust_app(
        f"{topics.prefix}mash-hub-tracker",
        settings.bootstrap,
        store="memory://",
        datadir=str(settings.home / "tracker"),  # not the current directory
        topic_partitions=settings.partitions,
        web_enabled=False,
    )
    register_tracker(app, topics, interval=interval, partitions=settings.partitions)
    if metrics_port:
        start_http_server(metrics_port, addr=metrics_host)
        typer.echo(f"SLA tracker metrics on http://{metrics_host}:{metrics_port}/metrics")
    typer.echo(f"SLA tracker following {topics.prefix}mash.queue.* (Ctrl-C to stop)")
    faust.Worker(app, loglevel="WARNING").execute_from_commandline()


def _board_secret(settings: Settings) -> str:
    """The session-signing key: $MASH_BOARD_SECRET, else a file in $MASH_HOME made once."""
    import os
    import secrets

    from mash.config import setting

    given = setting("MASH_BOARD_SECRET")
    if given:
        return given
    path = settings.home / "board-secret"
    if not path.exists():
        settings.home.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


@board_app.callback()
def board(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    refresh: int = typer.Option(15, help="Seconds between live refreshes of the queues."),
) -> None:
    """Serve the hub board (login required; /metrics for Prometheus)."""
    if ctx.invoked_subcommand is not None:
        return
    import uvicorn

    from mash.domain.clocks import SystemClock
    from mash.hub.board import Board, create_app
    from mash.hub.kafka_io import EventPublisher
    from mash.hub.live import LiveLedger, TopicFeed
    from mash.hub.users import user_store
    from mash.topics import Topics

    settings, _ = _context()
    users = user_store(settings.home)
    if not users.exists():
        raise ConfigError(
            f"no staff accounts in {users.path}: add one with "
            "`mash board adduser NAME --role team-manager`"
        )
    topics = Topics(settings.topic_prefix)
    live = LiveLedger()
    feed = TopicFeed(settings.bootstrap, topics, live)
    publisher = EventPublisher(settings.bootstrap, topics)
    app = create_app(
        Board(
            live=live,
            users=users,
            publish=publisher.publish,
            clock=SystemClock(),
            secret=_board_secret(settings),
            refresh_seconds=refresh,
        )
    )
    feed.start()
    typer.echo(f"MASH board on http://{host}:{port}/ (Ctrl-C to stop)")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    finally:
        feed.stop()
        publisher.close()


@board_app.command("adduser")
def board_adduser(
    username: str = typer.Argument(..., help="Staff user id (not a real name is fine)."),
    role: str = typer.Option(
        ..., help="social-worker, team-manager or auditor (what they may see and do)."
    ),
    queue: list[str] = typer.Option(
        [], "--queue", help="A queue their team works (social workers; repeat; default all)."
    ),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from standard input (scripts)."
    ),
) -> None:
    """Add (or reset) a member of staff in $MASH_HOME/users.json."""
    from mash.config import mash_home
    from mash.hub.users import user_store

    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    staff = user_store(mash_home()).add(username, password, role, queue or None)
    typer.echo(f"{staff.username} added as {staff.role} (queues: {', '.join(staff.queues)})")


def register(app: typer.Typer) -> None:
    """Add the hub's commands to the ``mash`` app."""
    app.add_typer(queue_app, name="queue")
    app.add_typer(sla_app, name="sla")
    app.add_typer(board_app, name="board")
