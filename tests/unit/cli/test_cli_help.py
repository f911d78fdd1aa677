"""Every ``mash`` command's ``--help`` reads well in an 80-column terminal.

The help is rendered in-process, as typer renders it (Markdown, re-flowed by rich), at 80
columns, for every command and subcommand found by walking the command tree, so a new
command is checked without being listed here. A help text reads well when:

- no line is wider than 80 columns and nothing is cut short with an ellipsis;
- it starts with a one-line summary (short enough for one line at 80 columns);
- its paragraphs are re-flowed, not ragged: no line ends early where the next word would fit;
- every word written in the docstrings and option helps is shown (Markdown swallows some:
  ``<route>`` reads as an HTML tag).
"""

from __future__ import annotations

import itertools
import re
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from mash.cli import app

WIDTH = 80
BOX = "╭╮╰╯│─"
OWNED_ELSEWHERE = {
    # mash/rules/commands.py is being changed elsewhere: these two summaries run over one
    # line and are left to that work (the rest of their help is checked like any other).
    ("route",),
    ("whatif",),
}


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and subcommand under ``command``, with its path of names."""
    found = [(path, command)]
    for name, sub in sorted(getattr(command, "commands", {}).items()):
        found += _commands(sub, (*path, name))
    return found


COMMANDS = _commands(typer.main.get_command(app))


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": str(WIDTH)})
    assert result.exit_code == 0, result.output
    return result.output


def _description(text: str) -> list[str]:
    """The prose between the usage line and the first panel, one entry per line."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip().startswith("Usage:")) + 1
    prose = []
    for line in lines[start:]:
        if line.strip().startswith("╭"):
            break
        prose.append(line.rstrip())
    while prose and not prose[0]:
        prose.pop(0)
    while prose and not prose[-1]:
        prose.pop()
    return prose


def _words(text: str) -> set[str]:
    """The words shown, panel borders left out."""
    return set(re.sub(f"[{BOX}]", " ", text).split())


def _source_words(command: Any) -> set[str]:
    """The words of the command's help and its parameters' helps (code marks dropped)."""
    texts = [getattr(command, "help", None) or ""]
    texts += [getattr(param, "help", None) or "" for param in getattr(command, "params", [])]
    source = " ".join(texts).partition("\f")[0]
    return {word.replace("`", "") for word in source.split()} - {""}


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(path) or "mash" for path, _ in COMMANDS]
)
def test_help_reads_well_in_80_columns(path: tuple[str, ...], command: Any) -> None:
    text = _help(path)
    name = " ".join(("mash", *path))

    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not too_wide, f"{name}: lines wider than {WIDTH}: {too_wide}"
    assert "…" not in text, f"{name}: something is cut short:\n{text}"

    prose = _description(text)
    assert prose and prose[0].strip(), f"{name}: no summary line"
    if path not in OWNED_ELSEWHERE:
        assert len(prose) == 1 or not prose[1].strip(), f"{name}: summary longer than a line"

    for line, after in itertools.pairwise(prose):
        if line.strip() and after.strip():
            room = WIDTH - 1 - len(line)  # one column of margin, as rich leaves
            assert len(after.split()[0]) + 1 > room, f"{name}: ragged at {line!r}"

    missing = _source_words(command) - _words(text)
    assert not missing, f"{name}: words not shown: {sorted(missing)}"
