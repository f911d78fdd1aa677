"""Every subject's messages, in both framings, through a real broker to the topic it belongs
on, and back: the bytes Kafka returns decode to what was sent (resolved to the newest)."""

from __future__ import annotations

from connectors.kafka import consume
from connectors.tail import render, subject_for_topic
from mash.avro import Registry
from mash.avro.framing import Wire
from mash.kafka import clients
from mash.topics import Topics

REGISTRY = Registry.default()


def _topic(topics: Topics, subject: str) -> str:
    if subject.startswith("records."):
        return topics.records(subject.removeprefix("records."))
    named = {
        "canonical": topics.canonical,
        "decision": topics.decisions,
        "override": topics.overrides,
        "deadletter": topics.deadletter,
        "outcome": topics.outcomes,
        "feedback": topics.feedback("police"),
    }
    return named.get(subject) or topics.referrals(subject)


def test_every_subject_round_trips_through_its_topic(kafka_bootstrap: str, topics: Topics) -> None:
    sent: dict[str, list[tuple[bytes, dict]]] = {}
    producer = clients.producer(kafka_bootstrap, acks="all")
    for version in REGISTRY:
        topic = _topic(topics, version.subject)
        assert subject_for_topic(topic) == version.subject
        for number, obj in enumerate(REGISTRY.examples(version.subject, version.version)):
            record = REGISTRY.from_json(version.subject, obj, version.version)
            for wire in Wire:
                key = f"{version.label}/{number}/{wire.value}".encode()
                payload = REGISTRY.encode(version.subject, record, version.version, wire)
                producer.send(topic, key=key, value=payload)
                sent.setdefault(topic, []).append((key, REGISTRY.decode(payload, version.subject)))
    producer.flush(timeout=30)
    producer.close()

    for topic, expected in sent.items():
        received = {}
        for message in consume(kafka_bootstrap, topic, from_beginning=True, timeout_s=5):
            received[message.key] = message
            if len(received) == len(expected):
                break  # a fresh topic: nothing else can be on it
        assert set(received) == {key for key, _ in expected}, topic
        subject = subject_for_topic(topic)
        for key, record in expected:
            message = received[key]
            assert message.value is not None
            assert REGISTRY.decode(message.value, str(subject)) == record
            assert "error" not in render(message, REGISTRY, subject)
