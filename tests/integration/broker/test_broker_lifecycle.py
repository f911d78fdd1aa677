"""`mash broker start|status|stop` end to end, on a broker of its own (free ports, own data dir).

The path a developer (and the chaos tests) take: start, start again (no-op), kill -9, see it
reported dead, start again and find the earlier messages still there, stop, stop again.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mash.broker.config import BrokerConfig
from mash.broker.prereqs import free_port
from mash.broker.topics import create_topics
from mash.kafka import clients
from mash.topics import Topics

pytestmark = [pytest.mark.broker, pytest.mark.timeout(300)]


def _unavailable(reason: str) -> None:
    if os.environ.get("MASH_REQUIRE_BROKER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


class Mash:
    """Runs the real ``mash`` entry point with an environment of its own."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-c", "from mash.cli import main; main()", *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=timeout,
            check=False,
        )

    def json(self, *args: str) -> dict[str, Any]:
        result = self.run(*args, "--json")
        assert result.returncode == 0, result.stderr
        payload: dict[str, Any] = json.loads(result.stdout)
        return payload


@pytest.fixture
def mash(tmp_path: Path) -> Iterator[Mash]:
    """A MASH_HOME under tmp, free ports, the shared jars cache; the broker stopped afterwards."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
    port = free_port()
    controller = free_port()
    env.update(
        MASH_HOME=str(tmp_path / "home"),
        MASH_KAFKA_PORT=str(port),
        MASH_CONTROLLER_PORT=str(controller if controller != port else free_port()),
        MASH_JARS=str(BrokerConfig.from_settings().jars_dir),
    )
    if "MASH_MAVEN_REPO" in os.environ:
        env["MASH_MAVEN_REPO"] = os.environ["MASH_MAVEN_REPO"]
    runner = Mash(env)
    yield runner
    runner.run("broker", "stop")


def _wait_for_state(mash: Mash, state: str, timeout_s: float = 20) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    current = mash.json("broker", "status")
    while current["state"] != state and time.monotonic() < deadline:
        time.sleep(0.2)
        current = mash.json("broker", "status")
    return current


def _read_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = clients.consumer(bootstrap, topic, auto_offset_reset="earliest")
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    while len(values) < expected and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            values += [record.value for record in records]
    consumer.close()
    return values


def test_start_status_kill_restart_keeps_the_data_and_stop(mash: Mash) -> None:
    first = mash.run("broker", "start", "--json")
    if first.returncode == 2:  # a missing prerequisite (java, mvn), named by the command
        _unavailable(f"mash broker start cannot run here: {first.stderr.strip()}")
    assert first.returncode == 0, first.stderr
    started = json.loads(first.stdout)
    assert started["started"] is True
    bootstrap = started["bootstrap"]

    again = mash.json("broker", "start")
    assert again["started"] is False  # start on a running broker is a no-op
    assert again["pid"] == started["pid"]
    assert mash.json("broker", "status")["state"] == "running"

    topics = Topics("life.")
    create_topics(bootstrap, topics, 1)
    producer = clients.producer(bootstrap, acks="all")
    for n in range(3):
        producer.send(topics.decisions, key=b"d", value=f"decision-{n}".encode())
    producer.flush()
    producer.close()

    os.kill(started["pid"], signal.SIGKILL)
    dead = _wait_for_state(mash, "dead")
    assert dead["state"] == "dead"
    assert dead["pid"] == started["pid"]

    revived = mash.json("broker", "start")
    assert revived["started"] is True
    assert revived["recovered_from_dead"] is True
    assert revived["pid"] != started["pid"]

    assert _read_all(bootstrap, topics.decisions, 3) == [
        b"decision-0",
        b"decision-1",
        b"decision-2",
    ]

    stopped = mash.json("broker", "stop")
    assert stopped["was"] == "running"
    assert mash.json("broker", "status")["state"] == "stopped"
    assert mash.json("broker", "stop")["was"] == "stopped"  # stop on a stopped broker: no-op
