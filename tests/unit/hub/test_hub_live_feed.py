"""The board's feed outlives a broker outage, and a stop ends its wait at once.

``follow_topics`` is replaced by a fake that fails on purpose; the thread is joined, never
slept on, and the wait between attempts is injected where a test would otherwise wait 5 s.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest

import mash.hub.live
from mash.errors import BrokerError
from mash.hub.live import LiveLedger, TopicFeed
from mash.topics import Topics

pytestmark = pytest.mark.timeout(30)


def test_the_feed_follows_again_after_each_outage(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[list[str]] = []

    def follow(bootstrap: str, names: list[str], *_: Any) -> None:
        calls.append(names)
        if len(calls) < 3:
            raise BrokerError(f"no Kafka broker answered at {bootstrap}")

    monkeypatch.setattr(mash.hub.live, "follow_topics", follow)
    waits: list[float] = []
    feed = TopicFeed("127.0.0.1:1", Topics("t."), LiveLedger(), wait=waits.append)

    with caplog.at_level(logging.ERROR, logger="mash.hub.live"):
        feed.start()
        feed.stop()  # joins: the fake returns on its third call, as a stopped feed does

    assert len(calls) == 3 and "t.mash.overrides" in calls[0]
    assert waits == [5.0, 5.0]
    assert caplog.messages[0] == (
        "board feed interrupted (no Kafka broker answered at 127.0.0.1:1); retrying in 5s"
    )


def test_stopping_the_feed_ends_its_wait_without_another_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    failed = threading.Event()
    calls: list[str] = []

    def follow(bootstrap: str, *_: Any) -> None:
        calls.append(bootstrap)
        failed.set()
        raise BrokerError("no Kafka broker answered")

    monkeypatch.setattr(mash.hub.live, "follow_topics", follow)
    feed = TopicFeed("127.0.0.1:1", Topics("t."), LiveLedger())  # the real 5 s wait
    feed.start()
    assert failed.wait(timeout=20)
    feed.stop()  # sets the stop event the wait is on, and joins the thread

    assert calls == ["127.0.0.1:1"]
