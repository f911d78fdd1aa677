"""Faust (faust-streaming 0.15.3 on aiokafka 0.14) against the real broker (Kafka 4.x).

Kafka 4 removed old protocol versions (KIP-896). These tests prove what the stream worker
needs still works: an agent consuming one topic and producing to another, Faust declaring its
own internal topics (table changelog), exactly-once processing (transactions), and a restarted
worker resuming from its committed offsets with its table recovered from the changelog.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import faust
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from mash.topics import Topics

pytestmark = [pytest.mark.broker, pytest.mark.timeout(180)]

PARTITIONS = 2  # the `topics` fixture's partition count: a table's changelog must match it


def _app(app_id: str, bootstrap: str, datadir: Path, **settings: Any) -> faust.App:
    return faust.App(
        app_id,
        broker=f"kafka://{bootstrap}",
        store="memory://",
        datadir=str(datadir),
        web_enabled=False,
        topic_partitions=PARTITIONS,
        topic_replication_factor=1,
        consumer_auto_offset_reset="earliest",
        broker_commit_interval=0.5,
        **settings,
    )


def _raw_topic(app: faust.App, name: str) -> faust.TopicT:
    return app.topic(
        name,
        key_type=bytes,
        value_type=bytes,
        key_serializer="raw",
        value_serializer="raw",
        partitions=PARTITIONS,
    )


async def _publish(bootstrap: str, topic: str, items: list[tuple[bytes, bytes]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for key, value in items:
            await producer.send_and_wait(topic, key=key, value=value)
    finally:
        await producer.stop()


async def _collect(
    bootstrap: str, topic: str, expected: int, timeout_s: float = 60.0
) -> list[tuple[bytes, bytes]]:
    """Read committed output until ``expected`` records arrived, then a while longer for extras."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    got: list[tuple[bytes, bytes]] = []
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=300)
            got += [(r.key, r.value) for records in batches.values() for r in records]
            if len(got) >= expected:
                deadline = min(deadline, time.monotonic() + 1.5)  # extras would be duplicates
    finally:
        await consumer.stop()
    return got


@pytest.fixture
async def running() -> AsyncIterator[Callable[[faust.App], Any]]:
    """Start Faust apps in-process; stop whatever is still running at the end."""
    started: list[faust.App] = []

    async def start(app: faust.App) -> None:
        await app.start()
        started.append(app)

    yield start
    for app in started:
        await app.stop()


async def test_an_agent_consumes_one_topic_and_produces_to_another(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path, running: Callable[[faust.App], Any]
) -> None:
    app = _app(f"{topics.prefix}relay", kafka_bootstrap, tmp_path)
    source = _raw_topic(app, topics.referrals("police"))
    sink = _raw_topic(app, topics.canonical)

    @app.agent(source)
    async def relay(stream: faust.StreamT[bytes]) -> None:
        async for key, value in stream.items():
            await sink.send(key=key, value=b"seen:" + value)

    await running(app)
    await _publish(kafka_bootstrap, source.get_topic_name(), [(b"ppn-1", b"a"), (b"ppn-2", b"b")])
    out = await _collect(kafka_bootstrap, topics.canonical, expected=2)

    assert sorted(out) == [(b"ppn-1", b"seen:a"), (b"ppn-2", b"seen:b")]


def _counting_app(app_id: str, bootstrap: str, datadir: Path, topics: Topics) -> faust.App:
    """Exactly-once relay that also counts per key in a table (changelog-backed)."""
    app = _app(app_id, bootstrap, datadir, processing_guarantee="exactly_once")
    source = _raw_topic(app, topics.referrals("council"))
    sink = _raw_topic(app, topics.queue("caf"))
    counts = app.Table("counts", default=int, partitions=PARTITIONS)

    @app.agent(source)
    async def count(stream: faust.StreamT[bytes]) -> None:
        async for key, value in stream.items():
            counts[key.decode()] += 1
            await sink.send(key=key, value=value)

    app.counts = counts  # type: ignore[attr-defined]
    return app


async def test_exactly_once_worker_restarts_from_its_commits_with_its_table_recovered(
    kafka_bootstrap: str, topics: Topics, tmp_path: Path
) -> None:
    app_id = f"{topics.prefix}counter"
    first_batch = [(f"c{n % 2}".encode(), f"one-{n}".encode()) for n in range(6)]
    second_batch = [(f"c{n % 2}".encode(), f"two-{n}".encode()) for n in range(4)]

    first = _counting_app(app_id, kafka_bootstrap, tmp_path / "a", topics)
    await first.start()
    await _publish(kafka_bootstrap, topics.referrals("council"), first_batch)
    out_first = await _collect(kafka_bootstrap, topics.queue("caf"), expected=6)
    await asyncio.sleep(1.0)  # one commit interval: offsets and changelog committed
    await first.stop()

    second = _counting_app(app_id, kafka_bootstrap, tmp_path / "b", topics)
    await second.start()
    try:
        await _publish(kafka_bootstrap, topics.referrals("council"), second_batch)
        out_all = await _collect(kafka_bootstrap, topics.queue("caf"), expected=10)
        counts = dict(second.counts)  # type: ignore[attr-defined]
    finally:
        await second.stop()

    assert sorted(out_first) == sorted(first_batch)
    assert sorted(out_all) == sorted(first_batch + second_batch)  # nothing processed twice
    assert counts == {"c0": 5, "c1": 5}  # 3 + 2 each: the first run's counts were recovered
