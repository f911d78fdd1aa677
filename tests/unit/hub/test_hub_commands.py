"""The hub's CLI refuses bad usage with exit code 2 before it touches the broker.

The commands run in-process through the real entry point (:func:`mash.cli.main`, which maps
errors to exit codes). MASH_BOOTSTRAP points at a closed port: a command that tried to
connect would fail with 1.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mash.cli import main


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> object:
    def invoke(home: Path, *args: str, stdin: str = "") -> Result:
        monkeypatch.setenv("MASH_HOME", str(home))
        monkeypatch.setenv("MASH_BOOTSTRAP", "127.0.0.1:1")
        monkeypatch.setattr(sys, "argv", ["mash", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return invoke


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("queue", "decide", "abc", "--route", "caf", "--as", "sw.ali"), "needs a reason"),
        (
            ("queue", "decide", "abc", "--route", "caf", "--reason", " ", "--as", "sw.ali"),
            "needs a reason",
        ),
        (("queue", "decide", "abc", "--as", "sw.ali"), "either --confirm or --route"),
        (
            ("queue", "decide", "abc", "--confirm", "--route", "caf", "--reason", "x", "--as", "a"),
            "either --confirm or --route",
        ),
        (
            ("queue", "decide", "abc", "--route", "elsewhere", "--reason", "x", "--as", "a"),
            "unknown route",
        ),
        (("queue", "list", "elsewhere"), "unknown route"),
        (("queue", "claim", "abc"), "--as"),
    ],
)
def test_bad_usage_exits_2_and_names_the_problem(
    run: Any, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = run(tmp_path, *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr


def test_every_hub_command_has_help(run: Any, tmp_path: Path) -> None:
    for args in (
        ("queue", "list"),
        ("queue", "claim"),
        ("queue", "decide"),
        ("sla", "report"),
        ("board",),
        ("board", "adduser"),
    ):
        result = run(tmp_path, *args, "--help")
        assert result.returncode == 0 and "Usage" in result.stdout


def test_adduser_then_the_board_refuses_nothing_about_staff(run: Any, tmp_path: Path) -> None:
    result = run(
        tmp_path,
        "board",
        "adduser",
        "tm.cho",
        "--role",
        "team-manager",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert result.returncode == 0, result.stderr
    users = json.loads((tmp_path / "users.json").read_text())["users"]
    assert users["tm.cho"]["role"] == "team-manager"
    assert "a long enough password" not in (tmp_path / "users.json").read_text()
    short = run(
        tmp_path,
        "board",
        "adduser",
        "sw.ali",
        "--role",
        "social-worker",
        "--password-stdin",
        stdin="short\n",
    )
    assert short.returncode == 2 and "12 characters" in short.stderr


def test_the_board_needs_staff_accounts_first(run: Any, tmp_path: Path) -> None:
    result = run(tmp_path, "board", "--port", "1")
    assert result.returncode == 2
    assert "mash board adduser" in result.stderr


def test_a_missing_broker_is_a_failure_not_usage(run: Any, tmp_path: Path) -> None:
    result = run(tmp_path, "sla", "report")
    assert result.returncode == 1
    assert "127.0.0.1:1" in result.stderr
