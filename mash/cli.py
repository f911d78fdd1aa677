"""The ``mash`` command: thin wiring only.

Each area owns its commands in its own ``commands.py`` with a ``register(app)`` function, so the
CLI stays a table of contents. Heavy imports (Faust, SQLAlchemy) happen inside the commands, so
``mash route --help`` starts fast.

Exit codes: 0 ok, 1 failure, 2 bad usage or bad input.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from mash.errors import ConfigError, MashError, UsageError

app = typer.Typer(
    name="mash",
    help="MASH Broker: route multi-agency safeguarding referrals, keep an audited log.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help is Markdown: docstring paragraphs are re-flowed to the terminal's width instead of
    # keeping the source's line breaks (typer's "rich" mode), and every subcommand inherits it.
    rich_markup_mode="markdown",
)
err = Console(stderr=True)


def _register_all() -> None:
    from connectors import commands as connector_commands
    from mash import demo
    from mash.audit import commands as audit_commands
    from mash.avro import commands as avro_commands
    from mash.bench import commands as bench_commands
    from mash.broker import commands as broker_commands
    from mash.chaos import commands as chaos_commands
    from mash.deadletters import commands as deadletter_commands
    from mash.generate import commands as generate_commands
    from mash.hub import commands as hub_commands
    from mash.rules import commands as rules_commands
    from mash.stream import commands as stream_commands

    for module in (
        broker_commands,
        avro_commands,
        connector_commands,
        rules_commands,
        stream_commands,
        audit_commands,
        hub_commands,
        deadletter_commands,
        generate_commands,
        bench_commands,
        chaos_commands,
        demo,
    ):
        module.register(app)


@app.command()
def version() -> None:
    """Print the MASH Broker version."""
    from mash import __version__

    typer.echo(__version__)


_register_all()


def main() -> None:
    """Entry point: translate project errors into messages and exit codes."""
    try:
        code = app(standalone_mode=False)
        # Without standalone mode click *returns* a typer.Exit's code instead of exiting.
        if isinstance(code, int) and code:
            sys.exit(code)
    except (UsageError, ConfigError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)
    except MashError as exc:
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        from typer._click import exceptions as click  # typer 0.29 vendors its own click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(2 if isinstance(exc, click.UsageError) else 1)
        raise
