"""The real processes a fault is injected into, and the agency-side publishing that feeds them.

Shared by ``mash chaos`` and the end-to-end tests (``tests/e2e/stream_harness.py`` re-exports
these), so the CI kill tests and the hand-run chaos scenarios crash the same things the same
way. Every process runs the installed ``mash`` command (the entry point an operator runs), in
a session of its own so that SIGKILL reaches it and everything it spawned, like a crash or the
OOM killer would; every one started here is killed at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mash.agencies import ID_FIELDS
from mash.agencies.police import V2_FIELDS
from mash.avro.registry import Registry
from mash.kafka import clients
from mash.topics import Topics

MASH = Path(sys.executable).with_name("mash")
POLICE_V2_ONLY = V2_FIELDS  # written as v1 only without these

Message = tuple[str, bytes, bytes | None]  # topic, key, value


# --------------------------------------------------------------------------- processes


@dataclass
class Worker:
    """One ``mash`` subprocess (a worker or a sink) and its log file."""

    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL, like a crash or the OOM killer: no commit, no goodbye to the group."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self, timeout_s: float = 120.0) -> int:
        """SIGTERM and wait: a graceful stop that commits what was processed."""
        if self.alive():
            os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"process did not stop within {timeout_s:.0f} s of SIGTERM; its log ends:\n"
                + self.text()[-4000:]
            ) from None

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout_s)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_assignment(self, topic_part: str, timeout_s: float = 120.0) -> None:
        """Wait until the worker's consumer has been given partitions of topics whose names
        contain ``topic_part`` (its log's latest assignment names them), or fail with the log:
        a test that needs several workers sharing the work starts feeding only then."""
        deadline = time.monotonic() + timeout_s
        while True:
            text = self.text()
            if any(topic_part in table for table in assignments(text)):
                return
            if not self.alive() or time.monotonic() > deadline:
                raise AssertionError(
                    f"no partitions of {topic_part} assigned within {timeout_s:.0f} s; "
                    f"its log ends:\n{text[-3000:]}"
                )
            time.sleep(0.1)  # polling another process's log file: no event to wait on


ASSIGNED = "Setting newly assigned partitions"


def assignments(log_text: str) -> list[str]:
    """The partition tables of every assignment a worker's consumers logged, each from the
    marker to its ``for group`` (aiokafka's line): only what was assigned, not the log lines
    that follow it (a subscription naming the same topics is not an assignment)."""
    return [
        chunk.split(" for group ", 1)[0]
        for chunk in log_text.split(ASSIGNED)[1:]
        if " for group " in chunk
    ]


@dataclass
class Workers:
    """Starts ``mash worker`` / ``mash sink`` processes and kills whatever is left at the end."""

    bootstrap: str
    topics: Topics
    home: Path
    started: list[Worker] = field(default_factory=list)

    def run(self, name: str, *arguments: str) -> Worker:
        """``mash ARGUMENTS...`` against this broker and topic prefix, logging to NAME.log."""
        log = self.home / f"{name}.log"
        env = {
            **os.environ,
            "MASH_BOOTSTRAP": self.bootstrap,
            "MASH_TOPIC_PREFIX": self.topics.prefix,
            "MASH_HOME": str(self.home),
        }
        with log.open("ab") as out:
            proc = subprocess.Popen(
                [str(MASH), *arguments],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        worker = Worker(proc, log)
        self.started.append(worker)
        return worker

    def start(self, name: str, *options: str) -> Worker:
        """A stream worker with a short session timeout, so a killed one is replaced fast."""
        return self.run(
            name,
            "worker",
            "--loglevel",
            "info",
            "--session-timeout",
            "6",
            "--records-wait",
            "60",
            *options,
        )

    def start_sink(self, name: str, db_url: str, *options: str) -> Worker:
        """A decision-log sink with a consumer group of this topic prefix's own."""
        group = f"{self.topics.prefix}sink"
        return self.run(name, "sink", "--db", db_url, "--group", group, *options)

    def kill_all(self) -> None:
        for worker in self.started:
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                worker.kill()


@contextlib.contextmanager
def workers(bootstrap: str, topics: Topics, home: Path) -> Iterator[Workers]:
    """Processes for one run; at the end every one is killed and the topic Faust made for its
    consumer group (the leader-assignor topic) is deleted from the broker."""
    pool = Workers(bootstrap, topics, home)
    try:
        yield pool
    finally:
        pool.kill_all()
        from mash.broker.admin import admin_client

        with contextlib.suppress(Exception), admin_client(bootstrap, timeout_s=10) as client:
            client.delete_topics([f"{topics.prefix}mash-worker-__assignor-__leader"])


# --------------------------------------------------------------------------- publishing


class Publisher:
    """An agency-side producer: acks=all, idempotent, every send checked."""

    def __init__(self, bootstrap: str) -> None:
        self._producer = clients.producer(
            bootstrap, acks="all", enable_idempotence=True, linger_ms=5
        )
        self._futures: list[Any] = []

    def send(self, messages: Iterable[Message]) -> None:
        for topic, key, value in messages:
            self._futures.append(self._producer.send(topic, key=key, value=value))

    def flush(self) -> None:
        self._producer.flush(60)
        for future in self._futures:
            future.get(timeout=60)
        self._futures.clear()

    def close(self) -> None:
        self.flush()
        self._producer.close()


def record_messages(
    registry: Registry, topics: Topics, records: Mapping[str, list[dict[str, Any]]]
) -> list[Message]:
    """Record-topic messages (Confluent framing, keyed by person id)."""
    out: list[Message] = []
    for kind, rows in records.items():
        subject = f"records.{kind}"
        for row in rows:
            value = registry.encode(subject, registry.from_json(subject, row))
            out.append((topics.records(kind), row["person_id"].encode(), value))
    return out


def referral_message(
    registry: Registry, topics: Topics, agency: str, obj: Mapping[str, Any], position: int
) -> Message:
    """One agency message as the agency would send it. Framings alternate; police alternates
    schema versions too, writing v2 whenever the record uses a v2-only field."""
    wire = "confluent" if position % 2 == 0 else "single-object"
    version = None
    if agency == "police":
        uses_v2 = any(obj.get(name) is not None for name in POLICE_V2_ONLY)
        version = 2 if uses_v2 or position % 4 in (1, 2) else 1
        if version == 1:
            obj = {k: v for k, v in obj.items() if k not in POLICE_V2_ONLY}
    value = registry.encode(agency, registry.from_json(agency, obj, version), version, wire)
    return topics.referrals(agency), str(obj[ID_FIELDS[agency]]).encode(), value
