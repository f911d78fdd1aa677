"""The sender returns only when every message is acknowledged, re-sending what failed."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest

from mash.stream.messages import Outgoing
from mash.stream.sender import ProducerSender

pytestmark = pytest.mark.timeout(30)


class FlakyProducer:
    """Acknowledges a message only on its ``n``-th send: earlier sends fail, either when
    queued (``refuse``) or on delivery (``lose``)."""

    def __init__(self, refuse: dict[bytes, int], lose: dict[bytes, int]) -> None:
        self.refuse = refuse
        self.lose = lose
        self.attempts: Counter[bytes] = Counter()
        self.acknowledged: list[bytes] = []

    async def send(self, topic: str, key: bytes | None, value: bytes) -> Any:
        self.attempts[value] += 1
        if self.attempts[value] < self.refuse.get(value, 0):
            raise RuntimeError("buffer full")
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        if self.attempts[value] < self.lose.get(value, 0):
            future.set_exception(TimeoutError("request timed out"))
        else:
            self.acknowledged.append(value)
            future.set_result(topic)
        return future


async def no_sleep(_: float) -> None:
    return None


async def test_every_message_is_acknowledged_before_send_all_returns() -> None:
    producer = FlakyProducer(refuse={b"b": 3}, lose={b"c": 2})
    sender = ProducerSender(producer, sleep=no_sleep)
    messages = [Outgoing("t", b"k", value) for value in (b"a", b"b", b"c")]

    await sender.send_all(messages)

    assert sorted(producer.acknowledged) == [b"a", b"b", b"c"]
    assert producer.attempts == Counter({b"a": 1, b"b": 3, b"c": 2})
    assert sender.resent == 3


async def test_nothing_to_send_sends_nothing() -> None:
    producer = FlakyProducer({}, {})
    await ProducerSender(producer, sleep=no_sleep).send_all([])
    assert producer.attempts == Counter()


async def test_the_sender_backs_off_between_attempts() -> None:
    waits: list[float] = []

    async def record(seconds: float) -> None:
        waits.append(seconds)

    producer = FlakyProducer(refuse={b"x": 5}, lose={})
    await ProducerSender(producer, sleep=record).send_all([Outgoing("t", None, b"x")])
    assert waits == sorted(waits)
    assert len(waits) == 4
    assert waits[-1] > waits[0]
