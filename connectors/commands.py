"""CLI commands of this area (registered by :mod:`mash.cli`)."""

import typer


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
