"""``mash deadletter list|claim|replay|close``: dead letters as work with an owner.

Every command reads ``mash.deadletter`` and ``mash.deadletter.events`` from the beginning into
the pure queue, checks what the person asked for against it, and only then publishes. Output
carries ids, topics, reasons, ages, states and owners: never a message's bytes, never personal
data (dead-letter reasons name problems and ids, not values).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mash.config import Settings
    from mash.deadletters.kafka_io import KafkaOutbox
    from mash.deadletters.model import DeadLetter, DeadLetterQueue, LetterAction
    from mash.hub.users import Staff

deadletter_app = typer.Typer(
    help="Dead letters as work: list them, claim one, replay it once fixed, or close it."
)

ID_HELP = "The dead letter's id (dl:TOPIC:PARTITION:OFFSET) or a unique prefix of it."
STAFF_HELP = "Who acts (staff user id)."


def _context() -> tuple[Settings, datetime]:
    from mash.config import Settings
    from mash.domain.clocks import SystemClock

    return Settings.load(), SystemClock().now()


def _queue(settings: Settings) -> DeadLetterQueue:
    from mash.deadletters.kafka_io import load_queue
    from mash.topics import Topics

    return load_queue(settings.bootstrap, Topics(settings.topic_prefix))


def _outbox(settings: Settings) -> KafkaOutbox:
    from mash.deadletters.kafka_io import KafkaOutbox
    from mash.topics import Topics

    return KafkaOutbox(settings.bootstrap, Topics(settings.topic_prefix))


def _staff(settings: Settings, name: str) -> Staff | None:
    from mash.hub.users import staff_named

    return staff_named(settings.home, name)


def _found(settings: Settings, ref: str, staff: str, action: LetterAction) -> DeadLetter:
    from mash.deadletters.model import authorise

    letter = _queue(settings).find(ref)
    authorise(_staff(settings, staff), letter, action)
    return letter


def _new_id() -> str:
    import uuid

    return uuid.uuid4().hex


@deadletter_app.command("list")
def deadletter_list(
    as_json: bool = typer.Option(False, "--json", help="One JSON object per line."),
    include_resolved: bool = typer.Option(False, "--all", help="Also replayed and closed ones."),
) -> None:
    """List dead letters, open ones first, oldest first.

    Each with its source topic, reason, age, overdue status, state and owner.
    """
    from rich.console import Console
    from rich.table import Table

    from mash.deadletters.model import letter_row
    from mash.deadletters.settings import overdue_policy
    from mash.domain.clocks import WorkingCalendar

    settings, now = _context()
    policy = overdue_policy(WorkingCalendar())
    rows = [letter_row(v, now, policy) for v in _queue(settings).listed(include_resolved)]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row.to_json(), sort_keys=True))
        return
    table = Table(title=f"dead letters: {sum(r.letter.is_open for r in rows)} open")
    table.add_column("id", overflow="fold", min_width=14)
    table.add_column("age", no_wrap=True)
    for column in ("status", "state"):
        table.add_column(column)
    table.add_column("why", ratio=1)
    for row in rows:
        v = row.letter
        state = f"{v.state} ({v.owner})" if v.owner else str(v.state)
        why = f"{v.stage}: {v.reason}"
        table.add_row(
            v.id,
            row.age,
            row.status,
            state,
            f"{why} (replay of {v.replay_of})" if v.replay_of else why,
        )
    Console().print(table)


@deadletter_app.command("claim")
def deadletter_claim(
    letter: str = typer.Argument(..., help=ID_HELP),
    staff: str = typer.Option(..., "--as", help=STAFF_HELP),
) -> None:
    """Claim a dead letter: it is yours to fix (published to mash.deadletter.events)."""
    from mash.deadletters.model import LetterAction, plan_claim

    settings, now = _context()
    found = _found(settings, letter, staff, LetterAction.CLAIM)
    events = plan_claim(found, staff, now, _new_id)
    if events:
        outbox = _outbox(settings)
        try:
            outbox.publish(events)
        finally:
            outbox.close()
    typer.echo(f"claimed {found.id} as {staff}")


@deadletter_app.command("replay")
def deadletter_replay(
    letter: str = typer.Argument(..., help=ID_HELP),
    staff: str = typer.Option(..., "--as", help=STAFF_HELP),
) -> None:
    """Replay a dead letter once its cause is fixed.

    Its original bytes and headers go back to the topic it came from, with a `mash-replay-of`
    header naming it; the dead letter is kept. If it fails again, it comes back as a new dead
    letter linked to this one.
    """
    from mash.deadletters.model import LetterAction, plan_replay, replay_message
    from mash.topics import Topics

    settings, now = _context()
    found = _found(settings, letter, staff, LetterAction.REPLAY)
    events = plan_replay(found, staff, now, _new_id)
    message = replay_message(found, Topics(settings.topic_prefix))
    outbox = _outbox(settings)
    try:
        outbox.replay(message)
        outbox.publish(events)
    finally:
        outbox.close()
    typer.echo(f"replayed {found.id} to {message.topic} as {staff}")


@deadletter_app.command("close")
def deadletter_close(
    letter: str = typer.Argument(..., help=ID_HELP),
    staff: str = typer.Option(..., "--as", help=STAFF_HELP),
    reason: str = typer.Option(..., "--reason", help="Why it needs no replay (required)."),
) -> None:
    """Close a dead letter with a reason, without replaying it (it is kept).

    Nothing is deleted: the dead letter and why it was closed stay on the topics.
    """
    from mash.deadletters.model import LetterAction, close_reason, plan_close

    text = close_reason(reason)  # before the broker: bad usage is exit 2 without one
    settings, now = _context()
    found = _found(settings, letter, staff, LetterAction.CLOSE)
    outbox = _outbox(settings)
    try:
        outbox.publish(plan_close(found, text, staff, now, _new_id))
    finally:
        outbox.close()
    typer.echo(f"closed {found.id} as {staff}: {text}")


def register(app: typer.Typer) -> None:
    """Add ``mash deadletter`` to the ``mash`` app."""
    app.add_typer(deadletter_app, name="deadletter")
