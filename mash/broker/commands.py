"""CLI commands of this area (registered by :mod:`mash.cli`): ``mash broker`` and ``mash topics``.

Thin on purpose: settings in, one call into :mod:`mash.broker.lifecycle` or
:mod:`mash.broker.topics`, a line (or JSON) out. Progress goes to stderr so ``--json`` output on
stdout stays machine-readable.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console

if TYPE_CHECKING:
    from mash.broker.topics import TopicInfo

broker_app = typer.Typer(
    help="Run the local single-node Kafka broker.\n\n"
    "KRaft mode, jars from Maven Central, no Docker.",
    no_args_is_help=True,
)
topics_app = typer.Typer(help="Create and list the MASH topics.", no_args_is_help=True)
acl_app = typer.Typer(
    help="Kafka principals and ACLs from deploy/security/acls.yaml.", no_args_is_help=True
)

_err = Console(stderr=True)

JsonOption = typer.Option(False, "--json", help="Print one JSON object instead of text.")


@contextmanager
def _progress(first: str) -> Iterator[Callable[[str], None]]:
    """A spinner on a terminal; plain lines otherwise (CI logs keep every step)."""
    if _err.is_terminal:
        with _err.status(first) as spinner:
            yield lambda message: spinner.update(message)
    else:
        _err.print(first)
        yield lambda message: _err.print(message)


def _emit(as_json: bool, payload: dict[str, object], text: str) -> None:
    typer.echo(json.dumps(payload) if as_json else text)


@broker_app.command("start")
def start(
    as_json: bool = JsonOption,
    secure: bool = typer.Option(
        False,
        "--secure",
        help="SASL/SCRAM-SHA-512 on every listener, ACLs enforced, deny by default; the admin "
        "password is generated into $MASH_HOME/secrets. Then run `mash acl apply`.",
    ),
) -> None:
    """Start the broker and wait until it answers.

    A running broker is left as it is.
    """
    import dataclasses

    from mash.broker.config import BrokerConfig
    from mash.broker.lifecycle import start as start_broker

    config = dataclasses.replace(BrokerConfig.from_settings(), secure=secure)
    with _progress("checking prerequisites") as report:
        result = start_broker(config, report)
    verb = "started" if result.started else "already running"
    _emit(
        as_json,
        {"state": "running", **vars(result)},
        f"broker {verb} on {result.bootstrap} (pid {result.pid}, {result.seconds:.1f} s); "
        f"data in {config.data_dir}",
    )


@broker_app.command("stop")
def stop(as_json: bool = JsonOption) -> None:
    """Stop the broker with a controlled shutdown.

    A stopped broker is left as it is.
    """
    from mash.broker.config import BrokerConfig
    from mash.broker.lifecycle import stop as stop_broker

    config = BrokerConfig.from_settings()
    with _progress("stopping the broker") as report:
        before = stop_broker(config, report)
    text = {
        "running": f"broker stopped (was pid {before.pid})",
        "dead": f"broker was not running (pid {before.pid} had died); cleared its pid file",
        "stopped": "broker was not running",
    }[before.state]
    _emit(as_json, {"state": "stopped", "was": before.state, "pid": before.pid}, text)


@broker_app.command("status")
def status(as_json: bool = JsonOption) -> None:
    """Say whether the broker is running, stopped or dead.

    Dead: the pid file is left but the process is gone (killed or crashed).
    """
    from mash.broker.config import BrokerConfig
    from mash.broker.lifecycle import status as broker_status

    config = BrokerConfig.from_settings()
    current = broker_status(config)
    text = {
        "running": f"running (pid {current.pid}) on {current.bootstrap}",
        "dead": f"dead: pid {current.pid} is gone (killed or crashed); "
        f"`mash broker start` brings it back with its data; log: {current.log_file}",
        "stopped": f"stopped (data in {current.data_dir})",
    }[current.state]
    _emit(as_json, current.to_dict(), text)


@topics_app.command("create")
def create(
    partitions: int | None = typer.Option(
        None, "--partitions", min=1, help="Partitions per topic (default MASH_PARTITIONS or 6)."
    ),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="host:port of the broker (default MASH_BOOTSTRAP)."
    ),
) -> None:
    """Create every MASH topic (named with MASH_TOPIC_PREFIX).

    Existing topics are left as they are.
    """
    from mash.broker.topics import create_topics
    from mash.config import Settings
    from mash.topics import Topics

    settings = Settings.load()
    topics = Topics(settings.topic_prefix)
    target = bootstrap or settings.bootstrap
    created = create_topics(target, topics, partitions or settings.partitions)
    existing = len(topics.all()) - len(created)
    typer.echo(f"{len(created)} topics created, {existing} already there, on {target}")


@topics_app.command("list")
def list_(
    show_all: bool = typer.Option(
        False, "--all", help="Every topic on the broker, not only the MASH ones."
    ),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="host:port of the broker (default MASH_BOOTSTRAP)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """List the MASH topics.

    Each with its partitions, replication, clean-up policy and retention.
    """
    from mash.broker.topics import list_topics
    from mash.config import Settings

    settings = Settings.load()
    prefix = None if show_all else f"{settings.topic_prefix}mash."
    infos = list_topics(bootstrap or settings.bootstrap, prefix)
    if as_json:
        typer.echo(json.dumps([vars(info) for info in infos]))
        return
    _print_table(infos)


def _print_table(infos: list[TopicInfo]) -> None:
    from rich.table import Table

    table = Table("topic", "partitions", "replicas", "cleanup", "retention")
    for info in infos:
        table.add_row(
            info.name,
            str(info.partitions),
            str(info.replication_factor),
            info.cleanup_policy,
            "by key" if info.cleanup_policy == "compact" else _retention(info.retention_ms),
        )
    Console().print(table)


def _retention(retention_ms: str) -> str:
    """Milliseconds as a person reads them: "forever", "7 d", "12 h"."""
    try:
        value = int(retention_ms)
    except ValueError:
        return retention_ms
    if value < 0:
        return "forever"
    hours = value / 3_600_000
    return f"{hours / 24:g} d" if hours >= 24 else f"{hours:g} h"


@broker_app.command("credentials")
def credentials(
    principal: str = typer.Argument(..., help="A principal of the ACL file, e.g. police."),
) -> None:
    """Print PRINCIPAL's client settings as JSON, password included.

    Save it as the file that MASH_CREDENTIALS_FILE names. This is the only command that
    ever prints a password.
    """
    from mash.broker.config import BrokerConfig
    from mash.config import Settings
    from mash.kafka import credentials_document, security_for

    config = BrokerConfig.from_settings()
    document = credentials_document(
        Settings.load().bootstrap, security_for(config.secrets, principal)
    )
    typer.echo(json.dumps(document, indent=2))


@acl_app.command("apply")
def acl_apply(
    file: Path | None = typer.Option(
        None, "--file", help="ACL file (default: deploy/security/acls.yaml)."
    ),
    bootstrap: str | None = typer.Option(
        None, "--bootstrap", help="host:port of the broker (default MASH_BOOTSTRAP)."
    ),
) -> None:
    """Create every principal's SCRAM credential and every missing ACL, as the admin.

    Idempotent: what is there already stays. Passwords are generated into $MASH_HOME/secrets
    the first time; the admin's settings come from MASH_CREDENTIALS_FILE / MASH_SASL_* when set,
    else from the local secure broker's secrets.
    """
    from mash.broker.acls import apply_policy, load_policy
    from mash.broker.config import ADMIN_USER, BrokerConfig
    from mash.config import Settings
    from mash.kafka import ClientSecurity, security_for

    settings = Settings.load()
    config = BrokerConfig.from_settings()
    policy = load_policy(file)
    admin = ClientSecurity.from_settings()
    if not admin.sasl:
        admin = security_for(config.secrets, ADMIN_USER)
    target = bootstrap or settings.bootstrap
    result = apply_policy(target, policy, config.secrets, admin, settings.topic_prefix)
    typer.echo(
        f"{len(result.users)} principals ({', '.join(result.users)}); {result.created} ACLs "
        f"created, {result.existing} already there, on {target}"
    )


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
    app.add_typer(broker_app, name="broker")
    app.add_typer(topics_app, name="topics")
    app.add_typer(acl_app, name="acl")
