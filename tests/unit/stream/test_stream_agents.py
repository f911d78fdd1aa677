"""The Faust agents, driven through ``agent.test_context()`` (no broker): a batch of raw
messages in, the pipeline's messages out through the sender, garbage dead-lettered."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pytest
from stream_samples import TOPICS, police

from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.domain.records import RECORD_KINDS
from mash.domain.thresholds import RuleSet
from mash.stream.agents import ingest_agent
from mash.stream.app import StreamApp, create_app
from mash.stream.config import WorkerConfig
from mash.stream.messages import Incoming, Outgoing

pytestmark = pytest.mark.timeout(30)

SENT_S = 1_795_680_000.5


class ListSender:
    """Collects what the agents send, as the Kafka sender would deliver it."""

    def __init__(self) -> None:
        self.sent: list[Outgoing] = []

    async def send_all(self, messages: Sequence[Outgoing]) -> None:
        self.sent.extend(messages)


async def until(condition: Callable[[], bool], timeout_s: float = 5.0) -> None:
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


@pytest.fixture
def config(tmp_path: Path) -> WorkerConfig:
    return WorkerConfig(bootstrap="127.0.0.1:1", topics=TOPICS, group="unit-worker",
                        data_dir=tmp_path, batch_size=10, batch_within_s=0.01)


@pytest.fixture
def worker(config: WorkerConfig, registry: Registry, rules: RuleSet) -> tuple[StreamApp,
                                                                            ListSender]:
    sender = ListSender()
    stream = create_app(config, registry=registry, rules=rules, sender=sender,
                        follow_records=False)
    for kind in RECORD_KINDS:
        stream.index.mark_available(kind)
    return stream, sender


async def test_the_police_agent_routes_a_batch_and_dead_letters_garbage(
    worker: tuple[StreamApp, ListSender], message: Callable[..., Incoming], registry: Registry
) -> None:
    stream, sender = worker
    good = message("police", police())
    async with stream.agents["police"].test_context() as agent:
        await agent.put(good.value, key=b"PPN-U-0001", partition=1, timestamp=SENT_S)
        await agent.put(b"\x00garbage", key=b"junk", partition=0)
        await agent.put(message("police", police(ppn_id="PPN-U-0002")).value, key=b"2")
        await until(lambda: len(sender.sent) >= 11)

    topics = [m.topic for m in sender.sent]
    assert topics.count(TOPICS.canonical) == 2
    assert topics.count(TOPICS.decisions) == 4
    assert topics.count(TOPICS.deadletter) == 1
    letter = registry.decode(sender.sent[topics.index(TOPICS.deadletter)].value, "deadletter")
    assert letter["value"] == b"\x00garbage"
    assert letter["stage"] == "decode"
    first = decode_decision(sender.sent[2].value, registry=registry)
    sent_at = datetime.fromtimestamp(SENT_S, tz=UTC)
    assert datetime.fromisoformat(first["received_at"]) == sent_at
    assert stream.pipeline.counts.referrals == 2


async def test_an_agent_waits_for_the_records_before_its_first_message(
    config: WorkerConfig, registry: Registry, rules: RuleSet,
    message: Callable[..., Incoming],
) -> None:
    sender = ListSender()
    stream = create_app(config, registry=registry, rules=rules, sender=sender,
                        follow_records=False)
    loaded = asyncio.Event()

    async def ready() -> object:
        return await loaded.wait()

    topic = stream.app.topic("unit.gated", key_type=bytes, value_type=bytes,
                             key_serializer="raw", value_serializer="raw")
    gated = stream.app.agent(topic, name="unit.gated")(
        ingest_agent("police", stream.pipeline.ingest, sender, ready, 10, 0.01)
    )
    async with gated.test_context() as agent:
        await agent.put(message("police", police()).value, key=b"k", wait=False)
        await asyncio.sleep(0.2)
        assert sender.sent == []
        loaded.set()
        await until(lambda: len(sender.sent) == 5)
