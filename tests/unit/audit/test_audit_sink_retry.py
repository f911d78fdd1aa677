"""The sink waits out a failing decision log, and a stop ends the wait without committing.

No broker and no database: a fake log fails on purpose, a fake consumer records the seeks,
and the wait between attempts is injected (recorded, never slept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pytest

from mash.audit.sink import Codec, Sink, SinkConfig
from mash.errors import AuditError
from mash.topics import Topics

pytestmark = pytest.mark.timeout(30)
TOPICS = Topics("t.")


class Partition(NamedTuple):
    topic: str
    partition: int


@dataclass
class FlakyLog:
    """A decision log whose offsets table fails ``failures`` times, then answers."""

    failures: int
    calls: int = 0

    def committed_offsets(self, topic: str) -> dict[int, int]:
        self.calls += 1
        if self.calls <= self.failures:
            raise AuditError(f"reading sink offsets failed: OperationalError ({topic})")
        return {0: 42}


@dataclass
class Consumer:
    seeks: list[tuple[Partition, int | None]] = field(default_factory=list)

    def seek(self, tp: Partition, offset: int) -> None:
        self.seeks.append((tp, offset))

    def seek_to_beginning(self, tp: Partition) -> None:
        self.seeks.append((tp, None))


def sink(store: Any, **kwargs: Any) -> Sink:
    codec = Codec(lambda _: {}, lambda _: {}, lambda _: b"", lambda _: b"", lambda _: b"")
    made = Sink(SinkConfig("127.0.0.1:1", TOPICS), store, codec, **kwargs)
    made.consumer = Consumer()
    return made


def test_the_sink_backs_off_until_the_log_answers(caplog: pytest.LogCaptureFixture) -> None:
    waits: list[float] = []
    store = FlakyLog(failures=3)
    running = sink(store, wait=waits.append)
    assigned = [Partition(TOPICS.decisions, 0), Partition(TOPICS.decisions, 1)]

    running.seek_to_log(assigned)

    assert waits == [0.5, 1.0, 2.0]
    assert running.consumer.seeks == [(assigned[0], 42), (assigned[1], None)]
    assert "reading offsets failed (reading sink offsets failed" in caplog.text
    assert "retrying in 0.5s" in caplog.text


def test_a_stopped_sink_gives_up_waiting_and_commits_nothing() -> None:
    store = FlakyLog(failures=1_000)
    running = sink(store)  # the real wait: on the sink's stop event
    running.stop()

    with pytest.raises(AuditError, match="stopped while reading offsets was failing"):
        running.seek_to_log([Partition(TOPICS.decisions, 0)])
    assert store.calls == 1
    assert running.consumer.seeks == []
