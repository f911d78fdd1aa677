"""``mash publish``, ``mash records load`` and ``mash tail`` (registered by :mod:`mash.cli`).

Thin: parse options, build the pieces (registry, encoder, Kafka sink, rejects file), run
:func:`connectors.publish.publish_items`, print one summary line. Exit 0 when every record was
sent, 2 when any was rejected (bad input), 1 when the broker failed us.
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

import typer

from mash.errors import UsageError

_PROGRESS_FROM_BYTES = 1024 * 1024

records_app = typer.Typer(
    name="records",
    help="Cross-agency person records (the compacted mash.records.* topics).",
    no_args_is_help=True,
)

_WIRE_HELP = (
    "Framing of each message: confluent (0x00 + schema id) or single-object "
    "(0xC3 0x01 + fingerprint)."
)
_REJECTS_HELP = "Where rejected lines go (default: FILE.rejects.jsonl)."


def _input(path: Path) -> Path:
    if not path.is_file():
        raise UsageError(f"input file {path} does not exist")
    return path


def _wire(value: str) -> Any:
    from mash.avro.framing import as_wire

    try:
        return as_wire(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc


def _progress(path: Path, what: str) -> tuple[AbstractContextManager[Any], Any]:
    """A rich progress bar over the file's bytes for large files; a no-op for small ones."""
    size = path.stat().st_size
    if size < _PROGRESS_FROM_BYTES:
        return nullcontext(), lambda position: None
    from rich.console import Console
    from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

    bar = Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )
    task = bar.add_task(f"publishing {what}", total=size)
    return bar, lambda position: bar.update(task, completed=position)


def _run(path: Path, target: Any, wire: str, rejects: Path | None, version: int | None) -> None:
    """Shared body of publish and records load."""
    from connectors.kafka import KafkaSink
    from connectors.publish import Encoder, RejectsFile, default_rejects_path, publish_items
    from connectors.sources import read_items
    from mash.avro.registry import Registry
    from mash.config import Settings

    source = _input(path)
    registry = Registry.default()
    if version is not None:
        registry.schema(target.subject, version)  # an unknown version is bad usage: fail early
    encoder = Encoder(registry, target, version, _wire(wire))
    settings = Settings.load()
    rejects_file = RejectsFile(rejects or default_rejects_path(source))
    display, advance = _progress(source, target.what)
    with rejects_file, KafkaSink(settings.bootstrap, target.topic) as sink, display:
        summary = publish_items(read_items(source), encoder, sink, rejects_file, advance)
    typer.echo(summary.line(target.what))
    if summary.rejected:
        raise typer.Exit(2)


def publish(
    agency: str = typer.Argument(..., help="police, health or council."),
    file: Path = typer.Argument(..., help="JSON Lines or Avro container file (told by content)."),
    wire: str = typer.Option("confluent", "--wire", help=_WIRE_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=_REJECTS_HELP),
    version: int | None = typer.Option(
        None, "--version", help="Schema version to write (default: the newest)."
    ),
) -> None:
    """Publish an agency's referrals to its ingest topic (mash.referrals.AGENCY).

    Every record is validated against the agency's schema; good ones are sent (acks=all,
    idempotent, keyed by the agency's own id), bad ones go to the rejects file with their line
    number and the reason. Exit 0 if all were sent, 2 if any was rejected, 1 on broker failure.
    """
    from connectors.targets import referral_target
    from mash.config import Settings
    from mash.topics import Topics

    target = referral_target(agency, Topics(Settings.load().topic_prefix))
    _run(file, target, wire, rejects, version)


@records_app.command("load")
def records_load(
    kind: str = typer.Argument(..., help="social-care, early-help, police or health."),
    file: Path = typer.Argument(..., help="JSON Lines or Avro container file (told by content)."),
    wire: str = typer.Option("confluent", "--wire", help=_WIRE_HELP),
    rejects: Path | None = typer.Option(None, "--rejects", help=_REJECTS_HELP),
) -> None:
    """Load an agency's person records into its compacted topic.

    The topic is mash.records.KIND, keyed by person_id, so the latest record per person is
    what the checks see.

    Exit 0 if all were sent, 2 if any was rejected (see the rejects file), 1 on broker failure.
    """
    from connectors.targets import record_target
    from mash.config import Settings
    from mash.topics import Topics

    target = record_target(kind, Topics(Settings.load().topic_prefix))
    _run(file, target, wire, rejects, None)


def tail(
    topic: str = typer.Argument(..., help="Full topic name, e.g. mash.referrals.police."),
    from_beginning: bool = typer.Option(
        False, "--from-beginning", help="Start at the oldest message instead of new ones."
    ),
    max_messages: int | None = typer.Option(
        None, "--max", min=1, help="Stop after this many messages."
    ),
    timeout: float | None = typer.Option(
        None, "--timeout", min=0.1, help="Stop after this many seconds without a message."
    ),
) -> None:
    """Print the decoded messages of any MASH topic as JSON Lines on stdout.

    One object per message: topic, partition, offset, timestamp, key and value (or error, with
    the reason, for a message that does not decode). The values are the messages themselves,
    personal data included: for operators entitled to read the topic.
    """
    from connectors.kafka import consume
    from connectors.tail import render, subject_for_topic
    from mash.avro.registry import Registry
    from mash.config import Settings

    registry = Registry.default()
    subject = subject_for_topic(topic)
    count = 0
    messages = consume(
        Settings.load().bootstrap, topic, from_beginning=from_beginning, timeout_s=timeout
    )
    try:
        for message in messages:
            sys.stdout.write(json.dumps(render(message, registry, subject), ensure_ascii=False))
            sys.stdout.write("\n")
            sys.stdout.flush()
            count += 1
            if max_messages is not None and count >= max_messages:
                break
    except KeyboardInterrupt:
        pass
    finally:
        messages.close()


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
    app.command("publish")(publish)
    app.command("tail")(tail)
    app.add_typer(records_app, name="records")
