"""``mash worker``: run the hub's stream processor (registered by :mod:`mash.cli`).

Thin: check the broker and the topics, build the worker (:func:`mash.stream.app.create_app`)
and run it until SIGINT/SIGTERM. Faust and the Kafka clients are imported inside the command
so that ``mash --help`` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from mash.stream.config import WorkerConfig

LOG_LEVELS = ("crit", "error", "warn", "info", "debug")


def require_topics(config: WorkerConfig) -> None:
    """:class:`~mash.errors.ConfigError` naming every topic the worker needs that the broker
    lacks: Faust would otherwise create them itself, with the wrong partitions and configs."""
    from mash.broker.admin import admin_client
    from mash.errors import ConfigError

    needed = [
        *config.topics.ingest(),
        *config.topics.record_topics(),
        config.topics.canonical,
        *config.topics.queues(),
        config.topics.decisions,
        config.topics.deadletter,
    ]
    with admin_client(config.bootstrap, timeout_s=15.0) as client:
        existing = set(client.list_topics())
    missing = [name for name in needed if name not in existing]
    if missing:
        raise ConfigError(
            f"{len(missing)} topic(s) missing at {config.bootstrap} ({', '.join(missing[:4])}"
            f"{', ...' if len(missing) > 4 else ''}): run `mash topics create` with the same "
            "MASH_TOPIC_PREFIX first"
        )


def worker(
    loglevel: str = typer.Option(
        "info", "--loglevel", "-l", help=f"Log level: {', '.join(LOG_LEVELS)}."
    ),
    rules: Path | None = typer.Option(
        None, "--rules", help="Rules file (default: the shipped rule set)."
    ),
    group: str | None = typer.Option(
        None, "--group", help="Consumer group (default: <MASH_TOPIC_PREFIX>mash-worker)."
    ),
    records_wait: float = typer.Option(
        120.0,
        "--records-wait",
        help="Seconds to wait at start for the record topics to load before routing.",
    ),
    batch: int = typer.Option(500, "--batch", help="Most messages one ingest step takes."),
    session_timeout: float = typer.Option(
        10.0, "--session-timeout", help="Seconds before Kafka hands a dead worker's partitions on."
    ),
    web_port: int | None = typer.Option(
        None, "--web-port", help="Serve Faust's web endpoints on this port (default: off)."
    ),
) -> None:
    """Route referrals: decode, normalise, check records, decide each child, publish.

    Reads mash.referrals.{police,health,council} and the mash.records.* topics; writes
    mash.referrals.canonical, mash.queue.ROUTE, mash.decisions and mash.deadletter.

    Run several with the same --group to share the partitions. Stops cleanly on Ctrl-C or
    SIGTERM.
    """
    from mash.config import Settings
    from mash.errors import UsageError
    from mash.stream.app import create_app, run_worker
    from mash.stream.config import WorkerConfig

    if loglevel not in LOG_LEVELS:
        raise UsageError(f"--loglevel {loglevel!r}: expected one of {', '.join(LOG_LEVELS)}")
    if rules is not None and not rules.is_file():
        raise UsageError(f"--rules {rules}: no such file")
    config = WorkerConfig.from_settings(
        Settings.load(),
        group=group,
        rules_path=rules,
        records_wait_s=records_wait,
        batch_size=batch,
        session_timeout_s=session_timeout,
        web_port=web_port,
    )
    require_topics(config)
    run_worker(create_app(config), loglevel)


def register(app: typer.Typer) -> None:
    """Add ``mash worker`` to the ``mash`` app."""
    app.command("worker")(worker)
