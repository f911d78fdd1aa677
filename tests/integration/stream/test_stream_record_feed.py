"""The record feed against a real broker: every partition of every record topic loaded before
a kind is available, live updates and erasures followed, unreadable records dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest

from mash.avro.registry import Registry
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.routing import Router
from mash.kafka import clients
from mash.rules import load_rules
from mash.stream.messages import Outgoing
from mash.stream.pipeline import Pipeline
from mash.stream.records import RecordFeed
from mash.topics import Topics

pytestmark = pytest.mark.timeout(120)


def person(i: int, **changes: Any) -> dict[str, Any]:
    record = {
        "person_id": f"SC-{i}",
        "nhs_number": None,
        "forenames": "Test",
        "surname": f"Person{i}",
        "dob": "2015-01-01",
        "postcode": "TS1 1AA",
        "updated_at": "2026-11-01T09:00:00Z",
        "status": "OPEN_CIN",
        "referrals_12m": 1,
    }
    record.update(changes)
    return record


@pytest.fixture
def produce(kafka_bootstrap: str) -> Iterator[Callable[[str, bytes, bytes | None], None]]:
    producer = clients.producer(kafka_bootstrap, acks="all")

    def send(topic: str, key: bytes, value: bytes | None) -> None:
        producer.send(topic, key=key, value=value).get(timeout=30)

    yield send
    producer.close()


async def until(condition: Callable[[], bool], timeout_s: float = 30.0) -> None:
    for _ in range(int(timeout_s / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_the_feed_loads_all_partitions_then_follows_updates(
    kafka_bootstrap: str, topics: Topics, produce: Callable[[str, bytes, bytes | None], None]
) -> None:
    registry = Registry.default()
    subject = "records.social-care"
    topic = topics.records("social-care")

    def encoded(record: dict[str, Any]) -> bytes:
        return registry.encode(subject, registry.from_json(subject, record))

    for i in range(200):  # keys hash to both partitions of the test topic
        produce(topic, f"SC-{i}".encode(), encoded(person(i)))
    produce(topic, b"SC-0", None)  # erased before the worker ever started
    produce(topic, b"SC-bad", b"\x00\x00\x00\x01\x91 not a record")
    produce(topics.records("police"), b"P-1", b"garbage")

    index = RecordIndex()
    pipeline = Pipeline(topics, registry, Router(load_rules(), index), worker="it/1")
    dead: list[Outgoing] = []

    async def deliver(messages: Sequence[Outgoing]) -> None:
        dead.extend(messages)

    feed = RecordFeed(
        kafka_bootstrap,
        topics,
        index,
        lambda kind, message: pipeline.record(index, kind, message),
        deliver,
    )
    await feed.start()
    try:
        assert await feed.wait_ready(60.0)
        assert all(index.available(kind) for kind in RECORD_KINDS)
        assert index.count("social-care") == 199
        assert index.get("social-care", "SC-0") is None
        assert index.count("police") == 0
        letters = [registry.decode(m.value, "deadletter") for m in dead]
        assert sorted((d["source_topic"], d["key"]) for d in letters) == sorted(
            [(topic, b"SC-bad"), (topics.records("police"), b"P-1")]
        )
        assert {d["stage"] for d in letters} == {"record"}

        produce(
            topic, b"SC-5", encoded(person(5, status="CP_PLAN", updated_at="2026-11-25T09:00:00Z"))
        )
        produce(topic, b"SC-6", None)

        def followed() -> bool:
            held = index.get("social-care", "SC-5")
            return (
                held is not None
                and held.attributes["status"] == "CP_PLAN"
                and index.get("social-care", "SC-6") is None
            )

        await until(followed)
        assert index.count("social-care") == 198
    finally:
        await feed.stop()


async def test_a_kind_stays_unavailable_until_loaded(kafka_bootstrap: str, topics: Topics) -> None:
    """Before the feed has read to the end offsets, checks must say UNAVAILABLE (fail upward),
    never NOT_FOUND; with the feed started on empty topics every kind becomes available."""
    index = RecordIndex()
    assert not any(index.available(kind) for kind in RECORD_KINDS)

    async def deliver(messages: Sequence[Outgoing]) -> None:
        raise AssertionError("nothing to dead-letter")

    feed = RecordFeed(kafka_bootstrap, topics, index, lambda kind, message: [], deliver)
    await feed.start()
    try:
        assert await feed.wait_ready(30.0)
        assert all(index.available(kind) for kind in RECORD_KINDS)
    finally:
        await feed.stop()


async def test_a_missing_record_topic_leaves_its_kind_unavailable(kafka_bootstrap: str) -> None:
    index = RecordIndex()

    async def deliver(messages: Sequence[Outgoing]) -> None:
        return None

    feed = RecordFeed(
        kafka_bootstrap, Topics("no-such-prefix-7f3a."), index, lambda kind, message: [], deliver
    )
    await feed.start()
    try:
        assert not await feed.wait_ready(1.0)
        assert not any(index.available(kind) for kind in RECORD_KINDS)
    finally:
        await feed.stop()
