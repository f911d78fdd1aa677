"""A worker's record feed outlives a failing step, and stops between attempts when asked.

No broker: the step is replaced by a fake that fails on purpose, and the wait between
attempts is injected (recorded, never slept).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mash.domain.records import RecordIndex
from mash.stream.records import RecordFeed
from mash.topics import Topics

pytestmark = pytest.mark.timeout(30)


class Consumer:
    async def stop(self) -> None:
        return None


async def deliver(_: Any) -> None:
    return None


def feed(**kwargs: Any) -> RecordFeed:
    made = RecordFeed("127.0.0.1:1", Topics("t."), RecordIndex(), lambda *_: [], deliver, **kwargs)
    made._consumer = Consumer()  # type: ignore[assignment]
    return made


async def test_a_failing_step_is_tried_again_every_second() -> None:
    waits: list[float] = []

    async def wait(seconds: float) -> None:
        waits.append(seconds)

    records = feed(wait=wait)
    steps: list[object] = []

    async def step(consumer: object) -> None:
        steps.append(consumer)
        if len(steps) <= 2:
            raise OSError("connection reset")
        raise asyncio.CancelledError  # how the service ends the task: never retried

    records._step = step  # type: ignore[method-assign]
    with pytest.raises(asyncio.CancelledError):
        await RecordFeed._follow(records)  # type: ignore[call-arg]

    assert waits == [1.0, 1.0]
    assert len(steps) == 3


async def test_a_stop_during_the_wait_ends_the_feed_without_another_step() -> None:
    async def stop_while_waiting(seconds: float) -> None:
        await records.stop()

    records = feed(wait=stop_while_waiting)
    steps: list[object] = []

    async def step(consumer: object) -> None:
        steps.append(consumer)
        raise OSError("connection reset")

    records._step = step  # type: ignore[method-assign]
    await RecordFeed._follow(records)  # type: ignore[call-arg]

    assert len(steps) == 1
    assert records.should_stop
