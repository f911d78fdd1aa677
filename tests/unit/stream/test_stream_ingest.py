"""The ingest loop without a broker: a polled batch in, the pipeline's messages out through the
sender, garbage dead-lettered, and offsets committed only after the acks, in batch order.

The loop is given its consumer (a fake) through ``create_app``/``IngestLoop``, and started and
stopped as the worker does it. The fakes notify a condition on every call, so a test waits for
the state it needs (with a deadline), never for a length of time.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord, TopicPartition
from stream_samples import TOPICS, police

from mash.agencies import AGENCIES
from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.domain.records import RECORD_KINDS
from mash.domain.thresholds import RuleSet
from mash.stream.app import StreamApp, create_app
from mash.stream.config import WorkerConfig
from mash.stream.ingest import ConsumerFactory, IngestLoop, route_batch
from mash.stream.messages import Outgoing

pytestmark = pytest.mark.timeout(30)

SENT_MS = 1_795_680_000_500
POLICE = TOPICS.referrals("police")


def record(
    partition: int, offset: int, value: bytes, key: bytes = b"k"
) -> ConsumerRecord[Any, Any]:
    """One message as aiokafka's consumer returns it."""
    return ConsumerRecord(
        POLICE, partition, offset, SENT_MS, 0, key, value, None, len(key), len(value), []
    )


class Watched:
    """Something a test waits on: every change notifies, :meth:`until` waits for a state."""

    def __init__(self) -> None:
        self.changed = asyncio.Condition()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def until(self, state: Callable[[], bool], timeout_s: float = 5.0) -> None:
        """Return once ``state()`` holds; TimeoutError after ``timeout_s``."""
        async with self.changed:
            await asyncio.wait_for(self.changed.wait_for(state), timeout_s)

    async def reaches(self, state: Callable[[], bool], what: str, timeout_s: float = 5.0) -> None:
        """:meth:`until`; on a timeout the test fails, naming ``what`` it waited for."""
        try:
            await self.until(state, timeout_s)
        except TimeoutError:
            pytest.fail(f"{type(self).__name__}: {what} within {timeout_s:.0f} s", pytrace=False)


class GatedSender(Watched):
    """Collects what is sent; holds each send until released, like a broker slow to ack."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Outgoing] = []
        self.waiting = 0  # sends held, waiting for the release
        self.release = asyncio.Event()
        self.release.set()

    async def send_all(self, messages: Sequence[Outgoing]) -> None:
        self.waiting += 1
        await self.notify()
        await self.release.wait()
        self.waiting -= 1
        self.sent.extend(messages)
        await self.notify()


class FakeConsumer(Watched):
    """The part of AIOKafkaConsumer the loop uses: batches to hand out, commits recorded."""

    def __init__(self, batches: list[dict[TopicPartition, list[Any]]]) -> None:
        super().__init__()
        self.batches = batches
        self.polls = 0
        self.commits: list[dict[TopicPartition, int]] = []
        self.failed_commits = 0
        self.fail_commits = 0  # how many of the next commits fail, as after a rebalance
        self.started = self.stopped = False

    async def start(self) -> None:
        self.started = True

    async def stop(self) -> None:
        self.stopped = True

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        """The next batch; with none left, an empty poll after ``timeout_ms``, as a broker
        with nothing new answers."""
        self.polls += 1
        await self.notify()
        if self.batches:
            return self.batches.pop(0)
        with contextlib.suppress(TimeoutError):
            await self.until(lambda: bool(self.batches), timeout_ms / 1000)
        return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            if self.failed_commits < self.fail_commits:
                self.failed_commits += 1
                raise CommitFailedError("rebalanced")
            self.commits.append(dict(offsets))
        finally:
            await self.notify()


class Gate(Watched):
    """The records' readiness: the loop awaits :meth:`wait` before its first poll."""

    def __init__(self) -> None:
        super().__init__()
        self.awaited = False
        self.opened = asyncio.Event()

    async def wait(self) -> None:
        self.awaited = True
        await self.notify()
        await self.opened.wait()


def handing_out(consumer: FakeConsumer) -> ConsumerFactory:
    """A consumer factory that hands the loop ``consumer`` (for the agency topics only)."""

    def make(config: WorkerConfig, topics: Sequence[str]) -> FakeConsumer:
        assert list(topics) == sorted(TOPICS.referrals(agency) for agency in AGENCIES)
        return consumer

    return make


@contextlib.asynccontextmanager
async def running(loop: IngestLoop) -> AsyncIterator[IngestLoop]:
    """The loop started as the worker starts it (its consumer made and started, its routing
    task running), and stopped again at the end."""
    await loop.start()
    try:
        yield loop
    finally:
        await loop.stop()


@pytest.fixture
def config(tmp_path: Path) -> WorkerConfig:
    return WorkerConfig(
        bootstrap="127.0.0.1:1",
        topics=TOPICS,
        group="unit-worker",
        data_dir=tmp_path,
        batch_size=10,
    )


@dataclass
class Worker:
    """A worker built by ``create_app`` around a fake sender and a fake consumer."""

    stream: StreamApp
    sender: GatedSender
    consumer: FakeConsumer


@pytest.fixture
def worker(config: WorkerConfig, registry: Registry, rules: RuleSet) -> Worker:
    sender = GatedSender()
    consumer = FakeConsumer([])
    stream = create_app(
        config,
        registry=registry,
        rules=rules,
        sender=sender,
        consumer=handing_out(consumer),
        follow_records=False,
    )
    for kind in RECORD_KINDS:
        stream.index.mark_available(kind)
    return Worker(stream, sender, consumer)


@pytest.fixture
def good(registry: Registry) -> bytes:
    """A police notification about two children, as the agency sends it."""
    return registry.encode("police", registry.from_json("police", police()))


def test_a_batch_is_routed_garbage_dead_lettered_and_its_next_offsets_returned(
    worker: Worker, registry: Registry, good: bytes
) -> None:
    stream = worker.stream
    other = registry.encode("police", registry.from_json("police", police(ppn_id="PPN-U-0002")))
    batch = {
        TopicPartition(POLICE, 1): [record(1, 7, good), record(1, 8, other)],
        TopicPartition(POLICE, 0): [record(0, 3, b"\x00garbage", key=b"junk")],
    }

    out, positions = route_batch(stream.ingest.agencies, stream.pipeline.ingest, batch)

    assert positions == {TopicPartition(POLICE, 1): 9, TopicPartition(POLICE, 0): 4}
    topics = [m.topic for m in out]
    assert topics.count(TOPICS.canonical) == 2
    assert topics.count(TOPICS.decisions) == 4
    assert topics.count(TOPICS.deadletter) == 1
    letter = registry.decode(out[topics.index(TOPICS.deadletter)].value, "deadletter")
    assert letter["value"] == b"\x00garbage"
    assert letter["stage"] == "decode"
    first = decode_decision(out[topics.index(TOPICS.decisions)].value, registry=registry)
    assert datetime.fromisoformat(first["received_at"]) == datetime.fromtimestamp(
        SENT_MS / 1000, tz=UTC
    )
    assert stream.pipeline.counts.referrals == 2


async def test_offsets_are_committed_only_after_the_acks_and_in_batch_order(
    worker: Worker, good: bytes
) -> None:
    consumer, sender = worker.consumer, worker.sender
    tp = TopicPartition(POLICE, 0)
    consumer.batches += [{tp: [record(0, 0, good)]}, {tp: [record(0, 1, good)]}]
    sender.release.clear()  # the broker has not acknowledged anything yet

    async with running(worker.stream.ingest):
        assert consumer.started
        # Both batches polled and routed; the loop waits for the first one's acks.
        await consumer.reaches(lambda: not consumer.batches, "every batch polled")
        await sender.reaches(lambda: sender.waiting == 1, "one send waiting for its acks")
        assert worker.stream.pipeline.counts.referrals == 2, "the second batch was not routed"
        assert consumer.commits == [], "an offset was committed before its messages were acked"

        sender.release.set()
        await consumer.reaches(lambda: len(consumer.commits) == 2, "two commits")

    assert consumer.stopped
    assert consumer.commits == [{tp: 1}, {tp: 2}]
    assert len(sender.sent) == 10  # canonical + (queue + decision) x 2 children, twice


async def test_a_failed_commit_is_logged_and_the_loop_goes_on(
    worker: Worker, good: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    consumer, sender = worker.consumer, worker.sender
    tp = TopicPartition(POLICE, 0)
    consumer.batches += [{tp: [record(0, 0, good)]}, {tp: [record(0, 1, good)]}]
    consumer.fail_commits = 1  # the partition moved to another worker, once

    async with running(worker.stream.ingest):
        await consumer.reaches(lambda: len(consumer.commits) == 1, "one commit")

    assert consumer.failed_commits == 1
    assert consumer.commits == [{tp: 2}]  # the next batch was still routed, sent and committed
    assert len(sender.sent) == 10
    assert "offsets not committed (CommitFailedError)" in caplog.text


async def test_nothing_is_routed_until_the_records_are_ready(worker: Worker, good: bytes) -> None:
    consumer, sender = worker.consumer, worker.sender
    tp = TopicPartition(POLICE, 0)
    consumer.batches += [{tp: [record(0, 0, good)]}]
    records = Gate()
    stream = worker.stream
    loop = IngestLoop(
        stream.config,
        stream.ingest.agencies,
        stream.pipeline.ingest,
        sender,
        records.wait,
        consumer=handing_out(consumer),
    )

    async with running(loop):
        await records.reaches(lambda: records.awaited, "the loop waiting for the records")
        assert consumer.polls == 0 and sender.sent == [], "polled before the records were loaded"

        records.opened.set()
        await consumer.reaches(lambda: bool(consumer.commits), "a commit")

    assert consumer.commits == [{tp: 1}]
    assert len(sender.sent) == 5
