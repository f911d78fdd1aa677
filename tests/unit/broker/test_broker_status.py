"""Status tells running, stopped and dead apart; ids and commands say what happened."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest

from mash.broker.config import BrokerConfig
from mash.broker.lifecycle import new_cluster_id, status, stop
from mash.broker.prereqs import free_port


def _config(tmp_path: Path) -> BrokerConfig:
    return BrokerConfig(data_dir=tmp_path / "broker", jars_dir=tmp_path / "jars")


def test_no_pid_file_is_stopped(tmp_path: Path) -> None:
    assert status(_config(tmp_path)).state == "stopped"


def test_pid_file_of_a_process_that_is_gone_is_dead(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config.data_dir.mkdir(parents=True)
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    config.pid_file.write_text(gone.stdout)

    current = status(config)

    assert current.state == "dead"
    assert current.pid == int(gone.stdout)


def test_stop_of_a_dead_broker_clears_its_pid_file(tmp_path: Path) -> None:
    config = _config(tmp_path)
    config.data_dir.mkdir(parents=True)
    config.pid_file.write_text("999999999\n")

    before = stop(config)

    assert before.state == "dead"
    assert status(config).state == "stopped"


def test_cluster_ids_are_22_url_safe_characters_of_16_random_bytes() -> None:
    first, second = new_cluster_id(), new_cluster_id()

    assert len(first) == 22
    assert first != second
    assert len(base64.urlsafe_b64decode(first + "==")) == 16


def _mash(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from mash.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    import os

    values = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    values["MASH_HOME"] = str(tmp_path)
    return values


def test_status_json_of_a_fresh_home_says_stopped(tmp_path: Path, env: dict[str, str]) -> None:
    result = _mash("broker", "status", "--json", env=env)

    assert result.returncode == 0
    assert json.loads(result.stdout) == {
        "state": "stopped",
        "pid": None,
        "bootstrap": "127.0.0.1:9092",
        "data_dir": str(tmp_path / "broker"),
        "log_file": str(tmp_path / "broker" / "broker.log"),
    }


def test_stop_when_stopped_is_a_no_op(env: dict[str, str]) -> None:
    result = _mash("broker", "stop", env=env)

    assert result.returncode == 0
    assert "not running" in result.stdout


def test_start_on_a_busy_port_names_it_and_exits_2(env: dict[str, str]) -> None:
    import socket

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        busy = server.getsockname()[1]
        env["MASH_KAFKA_PORT"] = str(busy)
        env["MASH_CONTROLLER_PORT"] = str(free_port())

        result = _mash("broker", "start", env=env)

    assert result.returncode == 2
    assert f"{busy} (MASH_KAFKA_PORT)" in " ".join(result.stderr.split())


def test_a_heap_over_1g_is_bad_usage(env: dict[str, str]) -> None:
    env["MASH_BROKER_HEAP"] = "2g"

    result = _mash("broker", "start", env=env)

    assert result.returncode == 2
    assert "MASH_BROKER_HEAP" in result.stderr
