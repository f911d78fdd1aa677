"""``mash deadletter ...`` through the real entry point, with the broker replaced by the queue
and outbox the commands would have read and written (bad usage never reaches them)."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from mash.avro.deadletter import deadletter_record
from mash.cli import main
from mash.deadletters import kafka_io
from mash.deadletters.model import (
    REPLAY_HEADER,
    DeadLetterQueue,
    LetterEvent,
    ReplayMessage,
    letter_from_record,
)
from mash.domain import clocks
from mash.domain.clocks import FixedClock
from mash.errors import BrokerError
from mash.hub.users import user_store
from mash.topics import Topics

RECEIVED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a working Monday morning
NOW = RECEIVED + timedelta(hours=1)  # the commands' clock: not the wall clock


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def message(self) -> str:
        return " ".join(self.err.split())


@dataclass
class Broker:
    """The dead-letter topics as the commands see them, and what they send."""

    queue: DeadLetterQueue = field(default_factory=DeadLetterQueue)
    replays: list[ReplayMessage] = field(default_factory=list)
    events: list[LetterEvent] = field(default_factory=list)
    reads: int = 0
    down: bool = False

    def load(self, bootstrap: str, topics: Topics) -> DeadLetterQueue:
        assert topics.prefix == "t."
        self.reads += 1
        if self.down:
            raise BrokerError(f"no Kafka broker answered at {bootstrap}")
        return self.queue

    def outbox(self, bootstrap: str, topics: Topics) -> Any:
        broker = self

        class Outbox:
            def replay(self, message: ReplayMessage) -> None:
                broker.replays.append(message)

            def publish(self, events: list[LetterEvent]) -> None:
                broker.events.extend(events)
                for e in events:
                    broker.queue.apply(e)

            def close(self) -> None:
                pass

        return Outbox()


def _letter(offset: int, topic: str = "t.mash.referrals.council", value: bytes = b"bytes") -> Any:
    ms = int(RECEIVED.timestamp() * 1000)
    return letter_from_record(
        deadletter_record(
            source_topic=topic,
            partition=1,
            offset=offset,
            key=b"RFS-1",
            value=value,
            reason="required field missing: children",
            stage="validate",
            timestamp_ms=ms,
            failed_at=RECEIVED,
        ),
        topic="t.mash.deadletter",
        partition=0,
        offset=offset,
        timestamp_ms=ms,
    )


@pytest.fixture
def broker(monkeypatch: pytest.MonkeyPatch) -> Broker:
    fake = Broker()
    for offset in (12, 13):
        fake.queue.add_letter(_letter(offset))
    fake.queue.add_letter(_letter(14, topic="t.mash.queue.caf"))
    monkeypatch.setattr(kafka_io, "load_queue", fake.load)
    monkeypatch.setattr(kafka_io, "KafkaOutbox", fake.outbox)
    return fake


@pytest.fixture
def mash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Result]:
    monkeypatch.setenv("MASH_HOME", str(tmp_path))
    monkeypatch.setenv("MASH_BOOTSTRAP", "127.0.0.1:1")
    monkeypatch.setenv("MASH_TOPIC_PREFIX", "t.")
    monkeypatch.setattr(clocks, "SystemClock", lambda: FixedClock(NOW))

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


ID = "dl:t.mash.referrals.council:1:12"


def test_list_shows_the_work_and_never_the_bytes(
    mash: Callable[..., Result], broker: Broker
) -> None:
    broker.queue.add_letter(_letter(20, value=b"Jane Example 2015-01-01"))
    listed = mash("list", "--json")
    assert listed.code == 0, listed.err
    rows = [json.loads(line) for line in listed.out.splitlines()]
    assert [r["id"] for r in rows] == [
        "dl:t.mash.queue.caf:1:14",
        ID,
        "dl:t.mash.referrals.council:1:13",
        "dl:t.mash.referrals.council:1:20",
    ]
    row = rows[1]
    assert (row["source_topic"], row["stage"], row["state"], row["owner"]) == (
        "t.mash.referrals.council",
        "validate",
        "open",
        None,
    )
    assert row["reason"] == "required field missing: children" and row["overdue"] is False
    assert row["age_seconds"] == 3600
    table = mash("list")
    assert table.code == 0 and "4 open" in table.out
    assert "validate:" in table.out and "required" in table.out and "On time" in table.out
    for output in (listed.out, table.out):
        assert "Jane" not in output and "RFS-1" not in output


def test_claim_replay_and_close(mash: Callable[..., Result], broker: Broker) -> None:
    claimed = mash("claim", "t.mash.referrals.council:1:12", "--as", "sw.ali")
    assert claimed.code == 0 and f"claimed {ID} as sw.ali" in claimed.out
    taken = mash("claim", ID, "--as", "sw.bea")
    assert taken.code == 2 and "already claimed by sw.ali" in taken.message

    replayed = mash("replay", ID, "--as", "sw.ali")
    assert replayed.code == 0, replayed.err
    assert f"replayed {ID} to t.mash.referrals.council" in replayed.out
    [message] = broker.replays
    assert (message.topic, message.key, message.value) == (
        "t.mash.referrals.council",
        b"RFS-1",
        b"bytes",
    )
    assert message.headers[-1] == (REPLAY_HEADER, ID.encode())
    again = mash("replay", ID, "--as", "sw.ali")
    assert again.code == 2 and "already replayed" in again.message and len(broker.replays) == 1

    closed = mash("close", ":13", "--as", "tm.cho", "--reason", "agency re-sent it corrected")
    assert closed.code == 2 and "no dead letter" in closed.message  # not a prefix
    closed = mash("close", "t.mash.referrals.council:1:13", "--as", "tm.cho", "--reason", "re-sent")
    assert closed.code == 0 and "closed dl:t.mash.referrals.council:1:13" in closed.out
    assert [(e.action, e.actor) for e in broker.events] == [
        ("CLAIM", "sw.ali"),
        ("REPLAY", "sw.ali"),
        ("CLOSE", "tm.cho"),
    ]
    everything = [json.loads(line) for line in mash("list", "--all", "--json").out.splitlines()]
    assert [r["state"] for r in everything] == ["open", "replayed", "closed"]
    assert [r["state"] for r in map(json.loads, mash("list", "--json").out.splitlines())] == [
        "open"
    ]


def test_a_replay_only_goes_to_an_input_topic(mash: Callable[..., Result], broker: Broker) -> None:
    refused = mash("replay", "dl:t.mash.queue.caf", "--as", "tm.cho")
    assert refused.code == 2 and "not an ingest or record topic" in refused.message
    assert broker.replays == [] and broker.events == []


def test_staff_in_a_staff_file_must_be_allowed(
    mash: Callable[..., Result], broker: Broker, tmp_path: Path
) -> None:
    user_store(tmp_path).add("au.dev", "auditor password", "auditor")
    user_store(tmp_path).add("sw.ali", "social worker password", "social-worker", ["caf"])
    auditor = mash("claim", ID, "--as", "au.dev")
    assert auditor.code == 2 and "may not claim" in auditor.message
    stranger = mash("replay", ID, "--as", "nobody")
    assert stranger.code == 2 and "not in the staff file" in stranger.message
    assert mash("claim", ID, "--as", "sw.ali").code == 0
    assert broker.events[0].actor == "sw.ali" and len(broker.events) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("close", ID, "--as", "sw.ali", "--reason", "  "), "needs a reason"),
        (("close", ID, "--as", "sw.ali"), "--reason"),
        (("claim", ID), "--as"),
        (("replay",), "Missing argument 'letter'"),
    ],
)
def test_bad_usage_exits_2_before_the_broker(
    mash: Callable[..., Result], broker: Broker, args: tuple[str, ...], message: str
) -> None:
    result = mash(*args)
    assert result.code == 2 and message in result.message
    assert broker.reads == 0


def test_a_broker_failure_exits_1(mash: Callable[..., Result], broker: Broker) -> None:
    broker.down = True
    result = mash("list")
    assert result.code == 1 and "no Kafka broker answered" in result.message
