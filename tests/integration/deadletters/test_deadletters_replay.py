"""A dead letter worked and replayed against a real broker.

A valid police notification is dead-lettered the way the stream worker does it (its pipeline's
dead-letter writer, for a transient failure at the route stage); ``mash deadletter`` lists,
claims and replays it; the original bytes, key, headers and timestamp arrive back on the
ingest topic with the ``mash-replay-of`` header, and the worker's pipeline routes them. A
replay that fails again comes back as a new dead letter linked to the first. The board's feed
follows the same topics.
"""

from __future__ import annotations

import io
import json
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mash.avro.registry import Registry
from mash.cli import main
from mash.deadletters.model import REPLAY_HEADER
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.routing import Router
from mash.errors import BrokerError
from mash.kafka import clients
from mash.rules import load_rules
from mash.stream.messages import Incoming, as_headers
from mash.stream.pipeline import Pipeline
from mash.topics import Topics

pytestmark = pytest.mark.timeout(180)

ORIGINAL_AT = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
ORIGINAL_MS = int(ORIGINAL_AT.timestamp() * 1000)
HEADERS = (("source-system", b"niche-rms"), ("trace", None))


@dataclass
class Result:
    code: int
    out: str
    err: str

    def lines(self) -> list[dict[str, Any]]:
        return [json.loads(line) for line in self.out.splitlines() if line.strip()]


def _notification() -> dict[str, Any]:
    """A police domestic abuse notification with synthetic people."""
    return {
        "ppn_id": "PPN-DL1",
        "force_code": "CLE",
        "incident_at": "2026-03-02T08:10:00Z",
        "incident_type": "DOMESTIC_ABUSE",
        "dash_risk": "MEDIUM",
        "children": [
            {
                "forenames": "Test",
                "surname": "Example",
                "dob": "2016-04-01",
                "present_at_incident": True,
                "injured": False,
            }
        ],
        "adults": [{"role": "VICTIM", "forenames": "Adult", "surname": "Example"}],
        "concern_codes": ["3C"],
        "non_fatal_strangulation": False,
        "weapon_used": False,
        "victim_pregnant": False,
        "marac_referral": False,
        "narrative": "Synthetic test notification.",
    }


@pytest.fixture
def pipeline(topics: Topics) -> Pipeline:
    """The stream worker's per-message logic, with every record index available."""
    index = RecordIndex()
    for kind in RECORD_KINDS:
        index.mark_available(kind)
    return Pipeline(topics, Registry.default(), Router(load_rules(), index), worker="it/dl")


@pytest.fixture
def send(kafka_bootstrap: str) -> Iterator[Callable[..., None]]:
    producer = clients.producer(kafka_bootstrap, acks="all")

    def deliver(topic: str, key: bytes | None, value: bytes) -> None:
        producer.send(topic, key=key, value=value).get(timeout=30)

    yield deliver
    producer.close(timeout=10)


@pytest.fixture
def mash(
    kafka_bootstrap: str,
    topics: Topics,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Result]:
    """``mash deadletter ...`` in-process through the real entry point, on this test's topics."""
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_BOOTSTRAP", kafka_bootstrap)
    monkeypatch.setenv("MASH_TOPIC_PREFIX", topics.prefix)

    def run(*args: str) -> Result:
        monkeypatch.setattr(sys, "argv", ["mash", "deadletter", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        try:
            main()
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def _read_one(bootstrap: str, topic: str, timeout_s: float = 60) -> Any:
    """The first message on ``topic`` (every partition, from the beginning), waiting for it."""
    from kafka import TopicPartition

    consumer = clients.consumer(bootstrap, group_id=None, enable_auto_commit=False)
    try:
        consumer.assign([TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic)])
        consumer.seek_to_beginning()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                return records[0]
        raise AssertionError(f"nothing arrived on {topic} in {timeout_s}s")
    finally:
        consumer.close()


def _until(condition: Callable[[], bool], timeout_s: float = 60) -> None:
    """Wait for ``condition``, looking every 50 ms; AssertionError when it never holds."""
    pause = threading.Event()
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        pause.wait(0.05)


def _dead_letter(
    pipeline: Pipeline, topics: Topics, value: bytes, offset: int, headers: Any = HEADERS
) -> Any:
    """What the worker sends to the dead-letter topic for a message it failed to route."""
    message = Incoming(
        topic=topics.referrals("police"),
        partition=0,
        offset=offset,
        key=b"CLE:PPN-DL1",
        value=value,
        timestamp_ms=ORIGINAL_MS,
        headers=headers,
    )
    return pipeline.dead_letter(message, "route", BrokerError("record index not reachable"))


def test_a_dead_letter_is_claimed_replayed_and_routed(
    mash: Callable[..., Result],
    pipeline: Pipeline,
    send: Callable[..., None],
    kafka_bootstrap: str,
    topics: Topics,
) -> None:
    registry = Registry.default()
    original = registry.encode("police", registry.from_json("police", _notification()))
    letter = _dead_letter(pipeline, topics, original, offset=41)
    assert letter.topic == topics.deadletter
    send(letter.topic, letter.key, letter.value)
    ident = f"dl:{topics.referrals('police')}:0:41"

    [row] = mash("list", "--json").lines()
    assert (row["id"], row["state"], row["stage"], row["overdue"]) == (
        ident,
        "open",
        "route",
        False,
    )
    assert row["reason"] == "record index not reachable"
    assert "Example" not in json.dumps(row)

    assert mash("claim", ident, "--as", "sw.ali").code == 0
    replayed = mash("replay", f"{topics.referrals('police')}:0:4", "--as", "sw.ali")
    assert replayed.code == 0, replayed.err

    arrived = _read_one(kafka_bootstrap, topics.referrals("police"))
    assert (arrived.key, arrived.value) == (b"CLE:PPN-DL1", original)
    assert arrived.timestamp == ORIGINAL_MS
    # kafka-python cannot send a null header value: it arrives empty (KafkaOutbox.replay).
    assert list(as_headers(arrived.headers)) == [
        ("source-system", b"niche-rms"),
        ("trace", b""),
        (REPLAY_HEADER, ident.encode()),
    ]

    routed = pipeline.ingest(
        "police",
        Incoming(
            arrived.topic,
            arrived.partition,
            arrived.offset,
            arrived.key,
            arrived.value,
            arrived.timestamp,
            as_headers(arrived.headers),
        ),
    )
    assert routed[0].topic == topics.canonical
    assert {m.topic for m in routed[1:]} & set(topics.queues())
    assert topics.deadletter not in {m.topic for m in routed}

    again = mash("replay", ident, "--as", "sw.ali")
    assert again.code == 2 and "already replayed" in " ".join(again.err.split())
    assert mash("list", "--json").lines() == []
    [done] = mash("list", "--all", "--json").lines()
    assert (done["state"], done["owner"], done["replayed_by"]) == ("replayed", "sw.ali", "sw.ali")

    # The replay fails again: a new dead letter (its own offset), linked to the first.
    relapse = _dead_letter(
        pipeline, topics, original, offset=arrived.offset + 100, headers=as_headers(arrived.headers)
    )
    send(relapse.topic, relapse.key, relapse.value)
    [new] = mash("list", "--json").lines()
    assert new["id"] != ident and new["replay_of"] == ident and new["state"] == "open"


def test_the_board_feed_follows_the_dead_letter_topics(
    mash: Callable[..., Result],
    pipeline: Pipeline,
    send: Callable[..., None],
    kafka_bootstrap: str,
    topics: Topics,
) -> None:
    from mash.hub.live import LiveLedger, TopicFeed

    letter = _dead_letter(pipeline, topics, b"not avro at all", offset=7)
    send(letter.topic, letter.key, letter.value)
    ident = f"dl:{topics.referrals('police')}:0:7"
    assert mash("claim", ident, "--as", "tm.cho").code == 0

    live = LiveLedger()
    feed = TopicFeed(kafka_bootstrap, topics, live)
    feed.start()
    try:
        assert live.deadletters.caught_up.wait(timeout=60)
        owner = live.deadletters.read(lambda queue: queue.find(ident).owner)
        assert owner == "tm.cho"
        assert live.deadletters.outbox is not None
        send(topics.deadletter, b"k", b"garbage on the dead-letter topic")

        def unreadable() -> list[str]:
            return live.deadletters.read(
                lambda queue: [i for i in queue.letters if i.startswith(f"dl:{topics.deadletter}")]
            )

        _until(lambda: bool(unreadable()))
        assert len(unreadable()) == 1
    finally:
        feed.stop()
