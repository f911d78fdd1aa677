"""The broker process helpers, exercised with stand-in processes (no Java needed).

A stand-in carries ``kafka.Kafka`` and the properties path on its command line, as the real
broker does, so the identity check that guards against pid reuse sees the same thing.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mash.broker import process

pytestmark = pytest.mark.timeout(60)


def _stand_in(script: str, properties: Path) -> list[str]:
    return [sys.executable, "-c", script, "kafka.Kafka", str(properties)]


def _wait_for(path: Path, text: str, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in (path.read_text() if path.exists() else ""):
        assert time.monotonic() < deadline, f"{text!r} never appeared in {path}"
        time.sleep(0.05)


@pytest.fixture
def properties(tmp_path: Path) -> Path:
    path = tmp_path / "server.properties"
    path.write_text("node.id=1\n")
    return path


@pytest.fixture
def launched(tmp_path: Path, properties: Path) -> Iterator[list[int]]:
    """Pids launched by a test; whatever is left is killed afterwards."""
    pids: list[int] = []
    yield pids
    for pid in pids:
        if process.is_broker(pid, properties):
            os.kill(pid, signal.SIGKILL)


def test_launched_process_is_detached_logged_and_recognised(
    tmp_path: Path, properties: Path, launched: list[int]
) -> None:
    log = tmp_path / "broker.log"
    script = "import time; print('up', flush=True); time.sleep(60)"

    pid = process.launch(_stand_in(script, properties), log)
    launched.append(pid)

    assert process.is_broker(pid, properties)
    assert not process.is_broker(pid, tmp_path / "other.properties")
    _wait_for(log, "up")
    assert os.getsid(pid) != os.getsid(0)  # its own session: no terminal signals reach it


def test_terminate_is_a_controlled_stop(
    tmp_path: Path, properties: Path, launched: list[int]
) -> None:
    pid = process.launch(_stand_in("import time; time.sleep(60)", properties), tmp_path / "l")
    launched.append(pid)

    assert process.terminate(pid, properties, timeout_s=10) is True
    assert not process.is_broker(pid, properties)


def test_a_process_that_ignores_sigterm_is_killed_in_the_end(
    tmp_path: Path, properties: Path, launched: list[int]
) -> None:
    log = tmp_path / "broker.log"
    script = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "print('ready', flush=True); time.sleep(60)"
    )
    pid = process.launch(_stand_in(script, properties), log)
    launched.append(pid)
    _wait_for(log, "ready")

    assert process.terminate(pid, properties, timeout_s=0.5) is False
    assert not process.is_broker(pid, properties)


def test_a_killed_process_is_not_mistaken_for_a_running_one(
    tmp_path: Path, properties: Path, launched: list[int]
) -> None:
    pid = process.launch(_stand_in("import time; time.sleep(60)", properties), tmp_path / "l")
    launched.append(pid)

    os.kill(pid, signal.SIGKILL)

    assert process.wait_gone(pid, properties, timeout_s=10)


def test_an_unrelated_live_process_is_not_the_broker(properties: Path) -> None:
    assert not process.is_broker(os.getpid(), properties)


def test_pid_file_round_trip(tmp_path: Path) -> None:
    pid_file = tmp_path / "broker.pid"
    assert process.read_pid(pid_file) is None

    process.write_pid(pid_file, 4242)
    assert process.read_pid(pid_file) == 4242

    pid_file.write_text("garbage")
    assert process.read_pid(pid_file) is None
    process.remove_pid(pid_file)
    assert not pid_file.exists()


def test_tail_returns_the_last_lines(tmp_path: Path) -> None:
    log = tmp_path / "broker.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))

    assert process.tail(log, lines=3).splitlines() == ["line 97", "line 98", "line 99"]
    assert "no log" in process.tail(tmp_path / "missing.log")
