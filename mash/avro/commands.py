"""``mash schemas ...``: the schema registry's commands (registered by :mod:`mash.cli`)."""

from __future__ import annotations

from pathlib import Path

import typer

schemas_app = typer.Typer(
    name="schemas",
    help="Avro schemas of schemas/: ids, compatibility and conventions.",
    no_args_is_help=True,
)


@schemas_app.command("check")
def check(
    directory: Path | None = typer.Option(
        None,
        "--dir",
        help="Schema directory with subjects.yaml (default: the repository's schemas/).",
        file_okay=False,
    ),
) -> None:
    """Check every schema: it parses, follows the conventions and evolves compatibly.

    Compatible with the version before it under its subject's policy (BACKWARD unless
    subjects.yaml says otherwise).

    Prints each schema's subject, version, id and fingerprint; exits 1 naming the subject,
    versions and field of any problem.
    """
    from mash.avro.check import check_registry
    from mash.avro.registry import Registry

    registry = Registry.load(directory) if directory is not None else Registry.default()
    for version in registry:
        root = registry.directory
        relative = version.path.relative_to(root) if root else version.path
        typer.echo(
            f"{version.subject:<20} v{version.version}  id {version.schema_id:<5} "
            f"fingerprint {version.fingerprint.hex()}  {relative}"
        )
    problems = check_registry(registry)
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        typer.echo(f"{len(problems)} problem(s) found", err=True)
        raise typer.Exit(1)
    for subject in registry.subjects.values():
        span = f"v1..v{subject.latest.version}" if len(subject.versions) > 1 else "v1"
        typer.echo(f"{subject.name}: {span} {subject.compatibility.value} ok")


def register(app: typer.Typer) -> None:
    """Add this area's commands to the ``mash`` app."""
    app.add_typer(schemas_app, name="schemas")
