"""kafka-python against the real broker (Kafka 4.x): durable writes and consumer-group commits.

These are the producer and consumer settings the connectors and tools rely on: acks=all with
an idempotent producer, and a consumer group whose committed offsets a restarted consumer
resumes from.
"""

from __future__ import annotations

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from mash.broker.admin import admin_client
from mash.topics import Topics

pytestmark = [pytest.mark.broker, pytest.mark.timeout(120)]


def _producer(bootstrap: str) -> KafkaProducer:
    return KafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )


def _consumer(bootstrap: str, group: str, topic: str) -> KafkaConsumer:
    return KafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def _drain(consumer: KafkaConsumer, expected: int, rounds: int = 60) -> list[bytes]:
    """Poll until ``expected`` values arrived, then one more poll to catch any extra."""
    values: list[bytes] = []
    for _ in range(rounds):
        for records in consumer.poll(timeout_ms=500).values():
            values += [record.value for record in records]
        if len(values) >= expected:
            break
    for records in consumer.poll(timeout_ms=500).values():
        values += [record.value for record in records]
    return values


@pytest.fixture
def group(topics: Topics) -> str:
    return f"{topics.prefix}group"


def test_idempotent_producer_writes_with_sequence_numbers(
    kafka_bootstrap: str, topics: Topics
) -> None:
    topic = topics.referrals("police")
    producer = _producer(kafka_bootstrap)
    metadata = [
        producer.send(topic, key=b"ppn-1", value=f"v{n}".encode(), partition=0).get(timeout=30)
        for n in range(5)
    ]
    producer.close()

    assert [m.offset for m in metadata] == [0, 1, 2, 3, 4]
    with admin_client(kafka_bootstrap) as admin:
        state = admin.describe_producers([TopicPartition(topic, 0)])[TopicPartition(topic, 0)]
    # The broker tracks an idempotent producer id and its last sequence number (0-based).
    assert len(state.active_producers) == 1
    assert state.active_producers[0].producer_id >= 0
    assert state.active_producers[0].last_sequence == 4


def test_a_restarted_group_member_resumes_from_the_committed_offsets(
    kafka_bootstrap: str, topics: Topics, group: str
) -> None:
    topic = topics.referrals("health")
    producer = _producer(kafka_bootstrap)
    for n in range(10):
        producer.send(topic, key=f"r{n}".encode(), value=f"first-{n}".encode())
    producer.flush()

    first = _consumer(kafka_bootstrap, group, topic)
    seen = _drain(first, 10)
    first.commit()
    committed = {
        p: first.committed(TopicPartition(topic, p)) for p in first.partitions_for_topic(topic)
    }
    first.close()

    for n in range(5):
        producer.send(topic, key=f"s{n}".encode(), value=f"second-{n}".encode())
    producer.close()
    second = _consumer(kafka_bootstrap, group, topic)
    resumed = _drain(second, 5)
    second.close()

    assert sorted(seen) == sorted(f"first-{n}".encode() for n in range(10))
    assert sum(offset or 0 for offset in committed.values()) == 10
    assert sorted(resumed) == sorted(f"second-{n}".encode() for n in range(5))


def test_a_new_group_reads_from_the_beginning(
    kafka_bootstrap: str, topics: Topics, group: str
) -> None:
    topic = topics.queue("caf")
    producer = _producer(kafka_bootstrap)
    for n in range(3):
        producer.send(topic, key=b"k", value=f"item-{n}".encode())
    producer.close()

    consumer = _consumer(kafka_bootstrap, f"{group}-other", topic)
    values = _drain(consumer, 3)
    consumer.close()

    assert values == [b"item-0", b"item-1", b"item-2"]  # one key: one partition, in order
