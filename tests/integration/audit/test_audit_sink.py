"""`mash sink` through the real broker: exactly once into the log, whatever happens to it.

The sink runs as a real subprocess (`mash sink`), reading Avro decision and override events
that the test publishes. It is killed with SIGKILL at random points while thousands of
decisions flow, and its database is cut off mid-stream; afterwards every decision id is in
the log exactly once, the chain verifies, and the offsets stored with the entries are the
topics' end offsets. Undecodable messages end up in the dead-letter topic with a reason.
Staff events read before their decision wait for it (also across a SIGKILL) and are logged
after it; one whose decision never comes is dead-lettered after the hold time.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pytest
from kafka import KafkaProducer, TopicPartition
from sqlalchemy.engine import make_url

from mash.audit.store import DecisionLog, normalise_url, open_log
from mash.audit.verify import verify_log
from mash.avro import Registry, encode_decision
from mash.chaos.proxy import Proxy
from mash.kafka import clients
from mash.topics import Topics

MakeDecision = Callable[..., dict[str, Any]]
REGISTRY = Registry.default()


class SinkProcess:
    """`mash sink` in a subprocess, its log in a file; started, killed and restarted."""

    def __init__(self, db_url: str, bootstrap: str, topics: Topics, home: Path) -> None:
        self.db_url = db_url
        self.env = {
            **os.environ,
            "MASH_BOOTSTRAP": bootstrap,
            "MASH_TOPIC_PREFIX": topics.prefix,
            "MASH_HOME": str(home),
        }
        self.group = f"{topics.prefix}sink"
        self.log_path = home / "sink.log"
        self.process: subprocess.Popen[str] | None = None
        self._log: IO[str] | None = None

    def start(self, *extra: str) -> None:
        self._log = self.log_path.open("a")
        command = [
            sys.executable,
            "-c",
            "from mash.cli import main; main()",
            "sink",
            "--db",
            self.db_url,
            "--group",
            self.group,
            *extra,
        ]
        self.process = subprocess.Popen(
            command, env=self.env, stdout=self._log, stderr=subprocess.STDOUT, text=True
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def wait(self, timeout: float) -> int:
        assert self.process is not None
        return self.process.wait(timeout=timeout)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def output(self) -> str:
        return self.log_path.read_text()


@pytest.fixture
def sink_for(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> Iterator[Callable[[str], SinkProcess]]:
    made: list[SinkProcess] = []

    def make(db_url: str) -> SinkProcess:
        made.append(SinkProcess(db_url, kafka_bootstrap, topics, tmp_path))
        return made[-1]

    yield make
    for sink in made:
        sink.stop()


def producer(bootstrap: str) -> KafkaProducer:
    return clients.producer(bootstrap, acks="all", linger_ms=5)


def override_event(event_id: str, decision_id: str, action: str, **fields: Any) -> bytes:
    record = {
        "event_id": event_id,
        "decision_id": decision_id,
        "action": action,
        "route": None,
        "reason": None,
        "actor": "sw.jones",
        "at": datetime(2026, 5, 20, 14, 0, tzinfo=UTC),
        **fields,
    }
    return REGISTRY.encode("override", record)


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    consumer = clients.consumer(bootstrap)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)]
        return {tp.partition: offset for tp, offset in consumer.end_offsets(partitions).items()}
    finally:
        consumer.close()


def read_all(bootstrap: str, topic: str) -> list[Any]:
    consumer = clients.consumer(
        bootstrap,
        topic,
        auto_offset_reset="earliest",
        consumer_timeout_ms=5000,
        enable_auto_commit=False,
    )
    try:
        return list(consumer)
    finally:
        consumer.close()


def wait_for(
    condition: Callable[[], bool], timeout: float, what: str, sink: SinkProcess | None = None
) -> None:
    """Poll ``condition``; on timeout fail with the tail of the sink's own log, to say why."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = "\n".join(sink.output().splitlines()[-40:]) if sink is not None else ""
            pytest.fail(f"timed out waiting for {what}\n--- sink log tail\n{tail}")
        time.sleep(0.5)


def logged_ids(db_url: str) -> list[str]:
    with open_log(db_url) as log:
        return [d["decision_id"] for d in log.iter_decisions()]


def assert_exactly_once(
    log: DecisionLog, expected: set[str], topics: Topics, bootstrap: str
) -> None:
    ids = [d["decision_id"] for d in log.iter_decisions()]
    assert len(ids) == len(set(ids)), "a decision id was logged twice"
    assert set(ids) == expected
    report = verify_log(log)
    assert report.ok, report.first
    assert log.committed_offsets(topics.decisions) == end_offsets(bootstrap, topics.decisions)


def assert_read_to_end(log: DecisionLog, topic: str, bootstrap: str) -> None:
    """The stored positions are the topic's end offsets (a partition never written: 0)."""
    ends = end_offsets(bootstrap, topic)
    stored = log.committed_offsets(topic)
    assert {p: stored.get(p, 0) for p in ends} == ends, stored


def send_staff_events(bootstrap: str, topic: str, events: list[bytes]) -> None:
    """Publish to partition 0, in this order: the offsets the assertions name are 0, 1, ..."""
    send = producer(bootstrap)
    for value in events:
        send.send(topic, key=b"staff", value=value, partition=0)
    send.flush()
    send.close()


def send_decision(send: KafkaProducer, topic: str, decision: dict[str, Any]) -> None:
    """Queue one decision event as the worker sends it (keyed by its id)."""
    send.send(topic, key=decision["decision_id"].encode(), value=encode_decision(decision))


def publish_decisions(bootstrap: str, topic: str, decisions: list[dict[str, Any]]) -> None:
    send = producer(bootstrap)
    for d in decisions:
        send_decision(send, topic, d)
    send.flush()
    send.close()


def stored_offsets(db_url: str, topic: str) -> dict[int, int]:
    with open_log(db_url) as log:
        return log.committed_offsets(topic)


def test_sink_logs_decisions_and_overrides_and_dead_letters_the_rest(
    db_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    decisions = [make_decision(i) for i in range(300)]
    send = producer(kafka_bootstrap)
    # Staff events first: the sink may well read them before the decisions they act on.
    send.send(
        topics.overrides,
        key=b"dec-000001",
        value=override_event(
            "evt-1",
            "dec-000001",
            "OVERRIDE",
            route="s47",
            reason="Sibling disclosed abuse at school.",
        ),
    )
    send.send(
        topics.overrides, key=b"dec-000002", value=override_event("evt-2", "dec-000002", "CONFIRM")
    )
    send.send(
        topics.overrides, key=b"dec-000003", value=override_event("evt-3", "dec-000003", "CLAIM")
    )
    send.send(
        topics.overrides,
        key=b"dec-000004",
        value=override_event("evt-4", "dec-000004", "OVERRIDE", route="caf"),
    )  # no reason
    send.flush()
    for d in decisions + decisions[:25]:  # the last 25 replayed, as a restarted worker would
        send_decision(send, topics.decisions, d)
    garbage = [b"", b"not avro", b"\x00\x00\x00\x02\x59\x01", bytes(range(40))]
    for payload in garbage:
        send.send(topics.decisions, key=b"junk", value=payload)
    send.flush()
    send.close()

    sink = sink_for(db_url)
    sink.start("--until-idle", "4", "--batch", "64")
    assert sink.wait(timeout=180) == 0, sink.output()

    with open_log(db_url) as log:
        expected = {d["decision_id"] for d in decisions} | {"evt-1", "evt-2", "evt-3"}
        assert_exactly_once(log, expected, topics, kafka_bootstrap)
        assert_read_to_end(log, topics.overrides, kafka_bootstrap)
        override, confirm, claim = log.get("evt-1"), log.get("evt-2"), log.get("evt-3")
        assert override is not None and confirm is not None and claim is not None
        assert (claim["kind"], claim["action"], claim["subject"]) == (
            "action",
            "CLAIM",
            "dec-000003",
        )
        assert claim.get("supersedes") is None  # a claim decides nothing
        assert (override["supersedes"], override["route"], override["decided_by"]) == (
            "dec-000001",
            "s47",
            "sw.jones",
        )
        assert confirm["route"] == decisions[2]["route"] and confirm["action"] == "CONFIRM"
        assert log.get("dec-000001") is not None  # the superseded decision stays
        order = logged_ids(db_url)
        assert order.index("dec-000001") < order.index("evt-1")
        assert order.index("dec-000002") < order.index("evt-2")
    letters = [
        REGISTRY.decode(m.value, "deadletter") for m in read_all(kafka_bootstrap, topics.deadletter)
    ]
    assert sorted(
        letter["value"] for letter in letters if letter["source_topic"] == topics.decisions
    ) == sorted(garbage)
    from_overrides = [x for x in letters if x["source_topic"] == topics.overrides]
    assert (
        len(from_overrides) == 1
        and "OVERRIDE needs route and reason" in from_overrides[0]["reason"]
    )
    assert all(letter["reason"] for letter in letters)
    assert "Sibling disclosed" not in sink.output()  # logs carry ids, never content


def test_staff_events_read_before_their_decisions_are_logged_after_them(
    db_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    send_staff_events(
        kafka_bootstrap,
        topics.overrides,
        [
            override_event("evt-c", "dec-000002", "CONFIRM"),
            override_event(
                "evt-o",
                "dec-000001",
                "OVERRIDE",
                route="s47",
                reason="Sibling disclosed abuse at school.",
            ),
            override_event("evt-k", "dec-000003", "CLAIM"),
        ],
    )
    sink = sink_for(db_url)
    sink.start("--until-idle", "3", "--batch", "16")  # held events keep an idle sink running
    # Read, held, and the stored position kept at the oldest held event: nothing logged yet.
    wait_for(
        lambda: stored_offsets(db_url, topics.overrides).get(0) == 0,
        120,
        "the staff events to be read and held",
        sink,
    )
    assert logged_ids(db_url) == []
    decisions = [make_decision(i) for i in range(40)]
    publish_decisions(kafka_bootstrap, topics.decisions, decisions)
    assert sink.wait(timeout=180) == 0, sink.output()

    order = logged_ids(db_url)
    assert order.index("dec-000001") < order.index("evt-o")
    assert order.index("dec-000002") < order.index("evt-c")
    with open_log(db_url) as log:
        expected = {d["decision_id"] for d in decisions} | {"evt-c", "evt-o", "evt-k"}
        assert_exactly_once(log, expected, topics, kafka_bootstrap)
        assert log.committed_offsets(topics.overrides)[0] == 3
        assert_read_to_end(log, topics.overrides, kafka_bootstrap)
        confirm, override = log.get("evt-c"), log.get("evt-o")
    assert confirm is not None and override is not None
    assert (confirm["route"], confirm["level"], confirm["supersedes"]) == (
        decisions[2]["route"],
        decisions[2]["level"],
        "dec-000002",
    )
    assert (override["route"], override["supersedes"]) == ("s47", "dec-000001")
    assert confirm["child_key"] == decisions[2]["child_key"]
    assert override["child_key"] == decisions[1]["child_key"]
    assert read_all(kafka_bootstrap, topics.deadletter) == []
    assert "Sibling disclosed" not in sink.output()


def test_a_staff_event_on_an_unknown_decision_is_dead_lettered_after_the_hold_time(
    db_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    decisions = [make_decision(i) for i in range(4)]
    publish_decisions(kafka_bootstrap, topics.decisions, decisions)
    unknown = override_event("evt-x", "dec-999999", "CONFIRM")
    send_staff_events(
        kafka_bootstrap,
        topics.overrides,
        [
            unknown,
            override_event("evt-ok", "dec-000001", "CONFIRM"),
        ],
    )
    sink = sink_for(db_url)
    sink.start("--until-idle", "2", "--hold-s", "10")
    # The event behind it is logged at once; the position waits at the held one (offset 0).
    wait_for(lambda: "evt-ok" in logged_ids(db_url), 120, "the known decision's event", sink)
    assert stored_offsets(db_url, topics.overrides)[0] == 0
    assert sink.wait(timeout=180) == 0, sink.output()

    letters = [
        REGISTRY.decode(m.value, "deadletter") for m in read_all(kafka_bootstrap, topics.deadletter)
    ]
    assert [(x["source_topic"], x["partition"], x["offset"], x["value"]) for x in letters] == [
        (topics.overrides, 0, 0, unknown)
    ]
    assert letters[0]["reason"] == (
        "override event evt-x: decision dec-999999 is not in the log after waiting 10s; not applied"
    )
    with open_log(db_url) as log:
        expected = {d["decision_id"] for d in decisions} | {"evt-ok"}
        assert_exactly_once(log, expected, topics, kafka_bootstrap)
        assert_read_to_end(log, topics.overrides, kafka_bootstrap)


def test_a_sink_killed_while_an_event_is_held_loses_and_duplicates_nothing(
    db_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    decisions = [make_decision(i) for i in range(10)]
    publish_decisions(kafka_bootstrap, topics.decisions, decisions[:4])
    send_staff_events(
        kafka_bootstrap,
        topics.overrides,
        [
            override_event("evt-late", "dec-000007", "CONFIRM"),  # its decision is not out yet
            override_event("evt-now", "dec-000001", "OVERRIDE", route="caf", reason="Agreed."),
        ],
    )
    sink = sink_for(db_url)
    sink.start()
    wait_for(lambda: "evt-now" in logged_ids(db_url), 120, "the first sink's entries", sink)
    assert stored_offsets(db_url, topics.overrides)[0] == 0  # evt-late is read again
    sink.kill()

    sink.start("--until-idle", "3")  # re-reads evt-late (held again) and evt-now (logged)
    time.sleep(4)  # longer than --until-idle: only the held event keeps it running
    assert sink.process is not None and sink.process.poll() is None, sink.output()
    publish_decisions(kafka_bootstrap, topics.decisions, decisions[4:])
    assert sink.wait(timeout=180) == 0, sink.output()

    order = logged_ids(db_url)
    assert order.index("dec-000007") < order.index("evt-late")
    with open_log(db_url) as log:
        expected = {d["decision_id"] for d in decisions} | {"evt-late", "evt-now"}
        assert_exactly_once(log, expected, topics, kafka_bootstrap)
        assert_read_to_end(log, topics.overrides, kafka_bootstrap)
        late = log.get("evt-late")
    assert late is not None and late["route"] == decisions[7]["route"]
    assert read_all(kafka_bootstrap, topics.deadletter) == []


def test_sink_killed_at_random_points_loses_and_duplicates_nothing(
    db_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    total = 4000
    rng = random.Random(f"kill-{make_url(normalise_url(db_url)).get_backend_name()}")
    done = threading.Event()

    def publish() -> None:
        send = producer(kafka_bootstrap)
        for start in range(0, total, 100):
            for i in range(start, start + 100):
                send_decision(send, topics.decisions, make_decision(i))
            if start % 700 == 0:  # a worker replaying an earlier stretch
                for i in range(max(0, start - 150), start):
                    send_decision(send, topics.decisions, make_decision(i))
            send.flush()
            time.sleep(0.15)
        send.close()
        done.set()

    with open_log(db_url):
        pass  # migrate before the first sink, so kills land in the work, not in set-up
    publisher = threading.Thread(target=publish)
    publisher.start()
    sink = sink_for(db_url)
    kills = 0
    while not done.is_set() or kills < 5:
        sink.start("--batch", str(rng.choice([50, 100, 200])))
        time.sleep(rng.uniform(2.0, 5.0))  # the sink needs ~1.5 s to start: most land mid-flow
        sink.kill()
        kills += 1
    publisher.join()
    sink.start("--until-idle", "5")
    assert sink.wait(timeout=300) == 0, sink.output()[-3000:]
    assert kills >= 5
    assert sink.output().count("logged ") > kills  # every run got to write before its kill
    with open_log(db_url) as log:
        assert_exactly_once(log, {f"dec-{i:06d}" for i in range(total)}, topics, kafka_bootstrap)


@pytest.mark.postgres
def test_sink_waits_out_a_database_outage(
    postgres_log_url: str,
    kafka_bootstrap: str,
    topics: Topics,
    sink_for: Callable[[str], SinkProcess],
    make_decision: MakeDecision,
) -> None:
    url = make_url(postgres_log_url)
    proxy = Proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.up()
    through_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    send = producer(kafka_bootstrap)

    def publish(ids: range) -> None:
        for i in ids:
            send_decision(send, topics.decisions, make_decision(i))
        send.flush()

    sink = sink_for(through_proxy)
    sink.start("--batch", "50")
    publish(range(0, 400))
    wait_for(lambda: len(logged_ids(postgres_log_url)) == 400, 120, "the first 400 decisions", sink)
    proxy.down()
    publish(range(400, 800))
    time.sleep(6)  # the sink keeps failing and backing off meanwhile
    assert sink.process is not None and sink.process.poll() is None, "the sink gave up"
    proxy.up()
    wait_for(
        lambda: len(logged_ids(postgres_log_url)) == 800, 120, "catching up after the outage", sink
    )
    send.close()
    sink.stop()
    assert "retrying" in sink.output()
    with open_log(postgres_log_url) as log:
        assert_exactly_once(log, {f"dec-{i:06d}" for i in range(800)}, topics, kafka_bootstrap)
    proxy.down()
