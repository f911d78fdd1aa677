"""Settings are read once and checked once: a bad value names its variable and exits 2.

The CLI case runs ``mash`` as a process, so what an operator sees is what is asserted: one
line naming the variable on stderr, exit code 2, and no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mash.config import Settings, reset_settings, setting
from mash.errors import ConfigError

NAMES = ("MASH_KAFKA_PORT", "MASH_CONTROLLER_PORT", "MASH_PARTITIONS", "MASH_BOOTSTRAP")


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    return tmp_path


def test_mash_env_is_read_once_until_reset(home: Path) -> None:
    env = home / "mash.env"
    env.write_text("MASH_PARTITIONS=3\n")
    assert setting("MASH_PARTITIONS") == "3"
    env.write_text("MASH_PARTITIONS=9\n")
    assert setting("MASH_PARTITIONS") == "3"  # the process keeps the file it read
    reset_settings()
    assert setting("MASH_PARTITIONS") == "9"


def test_the_environment_wins_over_mash_env(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / "mash.env").write_text("# a comment\nMASH_PARTITIONS = 3\nMASH_KAFKA_PORT=19092\n")
    monkeypatch.setenv("MASH_PARTITIONS", "4")
    settings = Settings.load()
    assert (settings.partitions, settings.kafka_port, settings.controller_port) == (4, 19092, 19093)
    assert settings.bootstrap == "127.0.0.1:19092"


def test_unset_and_blank_values_take_the_defaults(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MASH_PARTITIONS", " ")
    settings = Settings.load()
    assert (settings.partitions, settings.kafka_port, settings.controller_port) == (6, 9092, 9093)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("MASH_PARTITIONS", "abc", "whole number of at least 1"),
        ("MASH_PARTITIONS", "0", "whole number of at least 1"),
        ("MASH_PARTITIONS", "-3", "whole number of at least 1"),
        ("MASH_PARTITIONS", "2.5", "whole number of at least 1"),
        ("MASH_KAFKA_PORT", "0", "port number from 1 to 65535"),
        ("MASH_KAFKA_PORT", "-1", "port number from 1 to 65535"),
        ("MASH_KAFKA_PORT", "kafka", "port number from 1 to 65535"),
        ("MASH_CONTROLLER_PORT", "70000", "port number from 1 to 65535"),
    ],
)
def test_a_bad_number_is_a_config_error_naming_the_variable(
    home: Path, monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        Settings.load()
    assert str(raised.value).startswith(f"{name}={value!r} is not a {expected}")


def test_a_bad_number_in_mash_env_is_named_too(home: Path) -> None:
    (home / "mash.env").write_text("MASH_PARTITIONS=six\n")
    with pytest.raises(ConfigError, match=r"MASH_PARTITIONS='six'.*mash\.env"):
        Settings.load()


def test_the_hub_area_is_still_checked(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASH_HUB_AREA", "TS,DL1")
    assert Settings.load().hub_area is not None
    monkeypatch.setenv("MASH_HUB_AREA", "not a postcode!")
    with pytest.raises(ConfigError, match="MASH_HUB_AREA"):
        Settings.load()


@pytest.mark.parametrize(("name", "value"), [("MASH_PARTITIONS", "abc"), ("MASH_KAFKA_PORT", "0")])
def test_the_cli_exits_2_naming_the_variable_without_a_traceback(
    home: Path, name: str, value: str
) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if k not in NAMES},
        "MASH_HOME": str(home),
        "MASH_BOOTSTRAP": "127.0.0.1:1",  # nothing listens: a command that got that far fails 1
        name: value,
    }
    done = subprocess.run(
        [sys.executable, "-m", "mash", "topics", "list"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert name in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
