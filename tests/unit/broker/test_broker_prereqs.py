"""Prerequisites are named, with how to get them, before anything starts."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mash.broker.prereqs import (
    find_java,
    free_port,
    java_major,
    port_in_use,
    require_free_ports,
    require_maven,
)
from mash.errors import ConfigError


@pytest.mark.parametrize(
    ("output", "major"),
    [
        ('openjdk version "17.0.15" 2025-04-15\nOpenJDK Runtime Environment', 17),
        ('java version "1.8.0_392"\nJava(TM) SE Runtime Environment', 8),
        ('openjdk version "21" 2023-09-19', 21),
        ('openjdk version "11.0.2-ea" 2019-01-15', 11),
        ("no version here", None),
    ],
)
def test_java_major_version_is_read_from_java_version_output(
    output: str, major: int | None
) -> None:
    assert java_major(output) == major


@pytest.fixture
def listening() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield int(server.getsockname()[1])


def test_a_listening_port_is_in_use(listening: int) -> None:
    assert port_in_use("127.0.0.1", listening)


def test_a_fresh_port_is_free() -> None:
    assert not port_in_use("127.0.0.1", free_port())


def test_busy_port_error_names_the_port_and_the_setting(listening: int) -> None:
    free = free_port()
    with pytest.raises(ConfigError) as caught:
        require_free_ports("127.0.0.1", [("MASH_KAFKA_PORT", listening), ("X", free)])

    message = str(caught.value)
    assert f"{listening} (MASH_KAFKA_PORT)" in message
    assert str(free) not in message
    assert "mash.env" in message


def test_missing_maven_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")

    with pytest.raises(ConfigError, match="apt-get install maven"):
        require_maven()


def test_missing_java_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))  # no bin/java in it

    with pytest.raises(ConfigError, match="JDK 17"):
        find_java()


def test_java_home_wins_over_the_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    java = tmp_path / "bin" / "java"
    java.parent.mkdir()
    java.write_text("#!/bin/sh\n")
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))

    assert find_java() == str(java)
