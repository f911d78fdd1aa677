"""The ingest loop without a broker: a polled batch in, the pipeline's messages out through the
sender, garbage dead-lettered, and offsets committed only after the acks, in batch order."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord, TopicPartition
from stream_samples import TOPICS, police

from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.domain.records import RECORD_KINDS
from mash.domain.thresholds import RuleSet
from mash.stream.app import StreamApp, create_app
from mash.stream.config import WorkerConfig
from mash.stream.ingest import route_batch
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


class GatedSender:
    """Collects what is sent; holds each send until released, like a broker slow to ack."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []
        self.release = asyncio.Event()
        self.release.set()

    async def send_all(self, messages: Sequence[Outgoing]) -> None:
        await self.release.wait()
        self.sent.extend(messages)


class FakeConsumer:
    """The part of AIOKafkaConsumer the loop uses: batches to hand out, commits recorded."""

    def __init__(
        self, batches: list[dict[TopicPartition, list[Any]]], fail_commit: bool = False
    ) -> None:
        self.batches = batches
        self.commits: list[dict[TopicPartition, int]] = []
        self.fail_commit = fail_commit

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        if self.batches:
            return self.batches.pop(0)
        await asyncio.sleep(timeout_ms / 1000)
        return {}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        if self.fail_commit:
            raise CommitFailedError("rebalanced")
        self.commits.append(dict(offsets))


@pytest.fixture
def config(tmp_path: Path) -> WorkerConfig:
    return WorkerConfig(
        bootstrap="127.0.0.1:1",
        topics=TOPICS,
        group="unit-worker",
        data_dir=tmp_path,
        batch_size=10,
    )


@pytest.fixture
def worker(
    config: WorkerConfig, registry: Registry, rules: RuleSet
) -> tuple[StreamApp, GatedSender]:
    sender = GatedSender()
    stream = create_app(config, registry=registry, rules=rules, sender=sender, follow_records=False)
    for kind in RECORD_KINDS:
        stream.index.mark_available(kind)
    return stream, sender


def test_a_batch_is_routed_garbage_dead_lettered_and_its_next_offsets_returned(
    worker: tuple[StreamApp, GatedSender], registry: Registry
) -> None:
    stream, _ = worker
    good = registry.encode("police", registry.from_json("police", police()))
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
    worker: tuple[StreamApp, GatedSender], registry: Registry
) -> None:
    stream, sender = worker
    loop = stream.ingest
    good = registry.encode("police", registry.from_json("police", police()))
    tp = TopicPartition(POLICE, 0)
    consumer = FakeConsumer([{tp: [record(0, 0, good)]}, {tp: [record(0, 1, good)]}])
    loop._consumer = consumer  # type: ignore[assignment]
    sender.release.clear()  # the broker has not acknowledged anything yet

    running = asyncio.create_task(loop.run())
    await asyncio.sleep(0.3)  # both batches polled and routed; the first one's acks pending
    assert consumer.batches == []
    assert consumer.commits == [], "an offset was committed before its messages were acked"

    sender.release.set()
    for _ in range(100):
        if len(consumer.commits) == 2:
            break
        await asyncio.sleep(0.01)
    running.cancel()
    assert consumer.commits == [{tp: 1}, {tp: 2}]
    assert len(sender.sent) == 10  # canonical + (queue + decision) x 2 children, twice


async def test_a_failed_commit_is_logged_and_the_loop_goes_on(
    worker: tuple[StreamApp, GatedSender], registry: Registry, caplog: pytest.LogCaptureFixture
) -> None:
    stream, sender = worker
    loop = stream.ingest
    good = registry.encode("police", registry.from_json("police", police()))
    tp = TopicPartition(POLICE, 0)
    loop._consumer = FakeConsumer([{tp: [record(0, 0, good)]}], fail_commit=True)  # type: ignore[assignment]

    await loop._confirm(
        *route_batch(loop.agencies, stream.pipeline.ingest, {tp: [record(0, 0, good)]})
    )

    assert len(sender.sent) == 5
    assert "offsets not committed (CommitFailedError)" in caplog.text


async def test_nothing_is_routed_until_the_records_are_ready(
    config: WorkerConfig, registry: Registry, rules: RuleSet
) -> None:
    sender = GatedSender()
    loaded = asyncio.Event()
    stream = create_app(config, registry=registry, rules=rules, sender=sender, follow_records=False)
    stream.ingest._ready = loaded.wait  # type: ignore[method-assign]
    good = registry.encode("police", registry.from_json("police", police()))
    tp = TopicPartition(POLICE, 0)
    consumer = FakeConsumer([{tp: [record(0, 0, good)]}])
    stream.ingest._consumer = consumer  # type: ignore[assignment]

    running = asyncio.create_task(stream.ingest.run())
    await asyncio.sleep(0.2)
    assert sender.sent == [] and consumer.batches, "routed before the records were loaded"
    loaded.set()
    for _ in range(100):
        if consumer.commits:
            break
        await asyncio.sleep(0.01)
    running.cancel()
    assert consumer.commits == [{tp: 1}]
    assert len(sender.sent) == 5
