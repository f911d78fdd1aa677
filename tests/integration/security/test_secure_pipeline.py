"""The whole path on the secure broker, every process as its own principal, unchanged code.

Agencies load records and publish referrals with ``mash records load`` / ``mash publish``
(police, health, council), ``mash worker`` routes as mash-router, ``mash sink`` logs as
mash-sink, the auditor reads mash.decisions and hub staff list a queue; each only through the
environment (MASH_SECURITY_PROTOCOL, MASH_SASL_*). The offline router (``mash route``) is the
oracle. Then the log-hygiene check: no child's or adult's name and no narrative from the input
files appears in any line the worker, the sink or the agency commands wrote.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from datafiles import VIGNETTES
from secure_harness import SecureBroker

from mash.audit.store import open_log
from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.kafka import clients

pytestmark = [pytest.mark.broker, pytest.mark.timeout(420)]

MASH = Path(sys.executable).with_name("mash")
AGENCIES = ("police", "health", "council")
RECORD_OWNERS = {
    "social-care": "council",
    "early-help": "council",
    "police": "police",
    "health": "health",
}
NAME_KEYS = {"forenames", "surname", "givenName", "familyName", "first_name", "last_name"}
NARRATIVE_KEYS = {"narrative", "clinicalNarrative", "description"}
Key = tuple[str, str, int]


class Pipeline:
    """Runs ``mash`` commands as principals of one secure broker, with one topic prefix."""

    def __init__(self, broker: SecureBroker, home: Path) -> None:
        self.broker = broker
        self.home = home
        self.prefix = f"s{uuid.uuid4().hex[:8]}."
        self.cli_output: list[str] = []

    def env(self, principal: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith("MASH_")}
        return {
            **base,
            **self.broker.env(principal),
            "MASH_TOPIC_PREFIX": self.prefix,
            "MASH_HOME": str(self.broker.config.secrets.parent),
        }

    def run(self, principal: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(MASH), *arguments],
            env=self.env(principal),
            text=True,
            capture_output=True,
            timeout=180,
            check=False,
        )
        assert done.returncode == 0, f"mash {' '.join(arguments)} as {principal}: {done.stderr}"
        return done

    def logged_run(self, principal: str, *arguments: str) -> None:
        done = self.run(principal, *arguments)
        self.cli_output += (done.stdout + done.stderr).splitlines()

    def start(self, principal: str, name: str, *arguments: str) -> subprocess.Popen[bytes]:
        with (self.home / f"{name}.log").open("ab") as log:
            return subprocess.Popen(
                [str(MASH), *arguments],
                env=self.env(principal),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def walk(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def personal_strings(data: Path) -> tuple[set[str], set[str]]:
    """Every name (3+ letters) and every narrative (its first 40 characters) in the inputs."""
    names: set[str] = set()
    narratives: set[str] = set()
    files = [data / f"{a}.jsonl" for a in AGENCIES] + sorted((data / "records").glob("*.jsonl"))
    for path in files:
        for key, value in walk(jsonl(path)):
            if key in NAME_KEYS and isinstance(value, str) and len(value) >= 3:
                names.add(value)
            elif key in NARRATIVE_KEYS and isinstance(value, str) and len(value) >= 20:
                narratives.add(value[:40])
    return names, narratives


def offline(pipeline: Pipeline, data: Path) -> dict[Key, str]:
    """What ``mash route`` (no broker) decides for every child: the oracle."""
    routes: dict[Key, str] = {}
    for agency in AGENCIES:
        out = pipeline.run(
            "police",
            "route",
            agency,
            str(data / f"{agency}.jsonl"),
            "--records",
            str(data / "records"),
        ).stdout
        for line in out.splitlines():
            d = json.loads(line)
            routes[(d["agency"], d["source_id"], d["child_index"])] = d["route"]
    return routes


def read_decisions(
    broker: SecureBroker, topic: str, want: int, alive: subprocess.Popen[bytes]
) -> dict[Key, str]:
    """mash.decisions as the auditor sees it, until ``want`` decisions arrived."""
    registry = Registry.default()
    consumer = clients.consumer(
        broker.bootstrap,
        topic,
        security=broker.security("auditor"),
        group_id=f"mash-audit-{uuid.uuid4().hex[:6]}",
        auto_offset_reset="earliest",
    )
    seen: dict[Key, str] = {}
    deadline = time.monotonic() + 240
    try:
        while len(seen) < want and time.monotonic() < deadline and alive.poll() is None:
            for records in consumer.poll(timeout_ms=1000).values():
                for record in records:
                    d = decode_decision(record.value, registry=registry)
                    seen[(d["agency"], d["source_id"], d["child_index"])] = d["route"]
    finally:
        consumer.close()
    return seen


def wait_logged(url: str, want: int, sink: subprocess.Popen[bytes], timeout_s: float) -> int:
    """How many entries the decision log holds once it has ``want``, or at the deadline."""
    deadline = time.monotonic() + timeout_s
    with open_log(url) as log:
        while log.count() < want and time.monotonic() < deadline and sink.poll() is None:
            time.sleep(1)
        return log.count()


def stop(process: subprocess.Popen[bytes]) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=90)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        return process.wait(timeout=30)


def data_set(kind: str, tmp_path: Path) -> Path:
    if kind == "vignettes":
        return VIGNETTES
    out = tmp_path / "generated"
    seed = "5" if kind == "vignettes" else "11"
    subprocess.run(
        [str(MASH), "generate", "-o", str(out), "-n", "40", "--seed", seed],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return out


@pytest.mark.parametrize("kind", ["vignettes", "generated"])
def test_the_pipeline_runs_as_least_privileged_principals_and_logs_no_personal_data(
    secure_broker: SecureBroker, tmp_path: Path, kind: str
) -> None:
    data = data_set(kind, tmp_path)
    pipeline = Pipeline(secure_broker, tmp_path)
    pipeline.run("admin", "topics", "create", "--partitions", "2")
    pipeline.run("admin", "acl", "apply")  # the same file, this deployment's topic prefix
    expected = offline(pipeline, data)
    assert expected, "no routable child in the data set"

    for kind_, owner in RECORD_OWNERS.items():
        path = data / "records" / f"{kind_}.jsonl"
        if path.exists():
            pipeline.logged_run(owner, "records", "load", kind_, str(path))
    for agency in AGENCIES:
        pipeline.logged_run(agency, "publish", agency, str(data / f"{agency}.jsonl"))

    worker = pipeline.start(
        "mash-router",
        "worker",
        "worker",
        "--loglevel",
        "info",
        "--session-timeout",
        "6",
        "--records-wait",
        "60",
    )
    try:
        seen = read_decisions(
            secure_broker, f"{pipeline.prefix}mash.decisions", len(expected), worker
        )
        assert seen == expected, (pipeline.home / "worker.log").read_text()[-3000:]
        listed = pipeline.run("hub-staff", "queue", "list", "s47", "--json").stdout
        s47 = sum(1 for route in expected.values() if route == "s47")
        assert len([line for line in listed.splitlines() if line.strip()]) == s47
    finally:
        assert stop(worker) == 0, (pipeline.home / "worker.log").read_text()[-3000:]

    # The sink runs after the worker, and gets a second go: under load a kafka-python 3.0.12
    # consumer that joins before its first metadata answer can keep an empty assignment for
    # good ("No partition metadata" then "assigned []"), with or without security (reported).
    logged = 0
    for attempt in range(3):
        sink = pipeline.start(
            "mash-sink",
            f"sink-{attempt}",
            "sink",
            "--db",
            f"sqlite:///{tmp_path}/log.db",
            "--group",
            f"{pipeline.prefix}mash-sink",
        )
        try:
            logged = wait_logged(f"sqlite:///{tmp_path}/log.db", len(expected), sink, 60)
        finally:
            assert stop(sink) == 0, (pipeline.home / f"sink-{attempt}.log").read_text()[-3000:]
        if logged == len(expected):
            break
    assert logged == len(expected)

    names, narratives = personal_strings(data)
    assert names and narratives
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, sorted(names))) + r")\b")
    lines = [
        *pipeline.cli_output,
        *(pipeline.home / "worker.log").read_text().splitlines(),
        *(
            line
            for path in pipeline.home.glob("sink-*.log")
            for line in path.read_text().splitlines()
        ),
    ]
    assert len(lines) > 5, "the processes logged nothing: the check would prove nothing"
    leaks = [
        line for line in lines if pattern.search(line) or any(text in line for text in narratives)
    ]
    assert leaks == []
