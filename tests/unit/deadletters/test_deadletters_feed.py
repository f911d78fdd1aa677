"""The board's dead-letter feed waits for the queues, follows the topics into the live queue,
and a stop ends it at once (``follow_queue`` is a fake; nothing here needs a broker)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from mash.avro.deadletter import deadletter_record, encode_deadletter
from mash.deadletters import live as live_module
from mash.deadletters.codec import encode_event
from mash.deadletters.kafka_io import KafkaOutbox, Record
from mash.deadletters.live import DeadLetterFeed, LiveDeadLetters
from mash.deadletters.model import LetterAction, LetterEvent, LetterState
from mash.domain.clocks import SystemClock
from mash.topics import Topics

pytestmark = pytest.mark.timeout(30)
TOPICS = Topics("t.")


def _letter_bytes() -> bytes:
    return encode_deadletter(
        deadletter_record(
            source_topic="t.mash.referrals.health",
            partition=0,
            offset=3,
            key=None,
            value=b"x",
            reason="truncated payload",
        )
    )


def test_the_feed_starts_after_the_queues_and_folds_both_topics(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    followed = threading.Event()
    calls: list[str] = []

    def follow(
        bootstrap: str, topics: Topics, handle: Any, stop: threading.Event, caught_up: Any
    ) -> None:
        calls.append(bootstrap)
        claim = LetterEvent(
            "e1",
            "dl:t.mash.referrals.health:0:3",
            LetterAction.CLAIM,
            "sw.ali",
            SystemClock().now(),
        )
        handle(Record(topics.deadletter_events, 0, 0, None, encode_event(claim)))  # early
        handle(Record(topics.deadletter, 0, 0, 1_700_000_000_000, _letter_bytes()))
        handle(Record(topics.deadletter, 1, 5, 1_700_000_000_000, b"not a dead letter"))
        handle(Record(topics.deadletter_events, 0, 1, None, b"not an event"))
        caught_up.set()
        followed.set()
        stop.wait()

    monkeypatch.setattr(live_module, "follow_queue", follow)
    queues_ready = threading.Event()
    live = LiveDeadLetters()
    feed = DeadLetterFeed("127.0.0.1:1", TOPICS, live, after=queues_ready)
    feed.start()
    try:
        assert isinstance(live.outbox, KafkaOutbox)
        assert not followed.wait(timeout=1)  # nothing before the queues have caught up
        queues_ready.set()
        assert followed.wait(timeout=10) and live.caught_up.is_set()
    finally:
        feed.stop()
    assert calls == ["127.0.0.1:1"]
    letters = live.read(lambda queue: dict(queue.letters))
    assert letters["dl:t.mash.referrals.health:0:3"].state is LetterState.CLAIMED
    assert "could not be read" in letters["dl:t.mash.deadletter:1:5"].reason


def test_stopping_before_the_queues_catch_up_ends_the_feed_without_reading(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(live_module, "follow_queue", lambda *args: calls.append("follow"))
    feed = DeadLetterFeed("127.0.0.1:1", TOPICS, LiveDeadLetters(), after=threading.Event())
    feed.start()
    feed.stop()
    assert calls == []
    assert not feed._thread.is_alive()
