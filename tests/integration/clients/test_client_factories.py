"""The factories of :mod:`mash.kafka.clients` against the real broker: every client MASH makes
comes from them, so each kind must connect and do its one job with the caller's tuning.

The other tests in this directory build raw clients on purpose (they are about the libraries);
these are about the one construction path on top of them.
"""

from __future__ import annotations

import time

import pytest
from kafka import TopicPartition

from mash.kafka import PLAINTEXT, clients
from mash.topics import Topics

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def test_kafka_python_producer_consumer_and_admin(kafka_bootstrap: str, topics: Topics) -> None:
    topic = topics.referrals("police")
    producer = clients.producer(kafka_bootstrap, acks="all", enable_idempotence=True)
    try:
        sent = producer.send(topic, key=b"k", value=b"v", partition=0).get(timeout=30)
    finally:
        producer.close()
    admin = clients.admin(kafka_bootstrap, security=PLAINTEXT, client_id="factory-test")
    try:
        assert topic in admin.list_topics()
    finally:
        admin.close()
    consumer = clients.consumer(kafka_bootstrap, group_id=None, enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        consumer.assign([tp])
        consumer.seek(tp, sent.offset)
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while not values and time.monotonic() < deadline:
            values = [r.value for rs in consumer.poll(timeout_ms=500).values() for r in rs]
    finally:
        consumer.close()
    assert values == [b"v"]


async def test_aiokafka_producer_consumer_and_admin(kafka_bootstrap: str, topics: Topics) -> None:
    topic = topics.referrals("health")
    admin = clients.aio_admin(kafka_bootstrap, client_id="factory-test")
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert [entry["topic"] for entry in described] == [topic]

    producer = clients.aio_producer(kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=b"k", value=b"v", partition=1)
    finally:
        await producer.stop()
    consumer = clients.aio_consumer(
        kafka_bootstrap, topic, group_id=None, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        values: list[bytes] = []
        deadline = time.monotonic() + 30
        while not values and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            values = [r.value for rs in batches.values() for r in rs]
    finally:
        await consumer.stop()
    assert values == [b"v"]


def test_a_faust_app_is_given_the_broker_as_urls(kafka_bootstrap: str) -> None:
    app = clients.faust_app("factory-test", kafka_bootstrap, store="memory://")
    assert [str(url) for url in app.conf.broker] == [f"kafka://{kafka_bootstrap}"]
