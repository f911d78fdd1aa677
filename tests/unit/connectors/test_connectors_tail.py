"""``mash tail`` rendering: which subject a topic holds, and one JSON object per message."""

from __future__ import annotations

import json

import pytest

from connectors.kafka import Message
from connectors.tail import render, subject_for_topic
from mash.avro import Registry, encode_decision
from mash.topics import Topics

REGISTRY = Registry.default()


@pytest.mark.parametrize("prefix", ["", "t1234abcd."])
def test_every_mash_topic_names_its_subject(prefix: str) -> None:
    topics = Topics(prefix)
    expected = {
        topics.referrals("police"): "police",
        topics.referrals("health"): "health",
        topics.referrals("council"): "council",
        topics.canonical: "canonical",
        topics.records("early-help"): "records.early-help",
        topics.decisions: "decision",
        topics.queue("s47"): "decision",
        topics.overrides: "override",
        topics.deadletter: "deadletter",
        topics.outcomes: "outcome",
        topics.feedback("health"): "feedback",
        topics.deadletter_events: None,  # JSON, shown as it is
        topics.alerts: None,
        "elsewhere": None,
    }
    assert {topic: subject_for_topic(topic) for topic in expected} == expected
    assert all(subject in REGISTRY.subjects for subject in expected.values() if subject)


def _message(value: bytes | None, key: bytes | None = b"K-1") -> Message:
    return Message("mash.referrals.health", 1, 42, 1_764_000_000_000, key, value)


def test_an_avro_message_prints_in_json_form() -> None:
    obj = REGISTRY.examples("health")[0]
    payload = REGISTRY.encode("health", REGISTRY.from_json("health", obj), wire="single-object")
    line = render(_message(payload, b"NHS-EX-0001"), REGISTRY, "health")
    assert line["value"] == {**obj}
    assert (line["partition"], line["offset"], line["key"]) == (1, 42, "NHS-EX-0001")
    assert line["timestamp"] == "2025-11-24T16:00:00Z"
    json.dumps(line)  # printable as it is


def test_an_undecodable_message_prints_its_position_and_the_reason() -> None:
    line = render(_message(b"\x00\x00\x00\x03\xe7\x02"), REGISTRY, "health")
    assert line["error"] == "unknown schema id 999"
    assert line["offset"] == 42
    assert "value" not in line


def test_json_values_and_tombstones_are_shown_as_they_are() -> None:
    assert render(_message(b'{"alert": "SLA_BREACH"}'), REGISTRY, None)["value"] == {
        "alert": "SLA_BREACH"
    }
    assert render(_message(None), REGISTRY, "records.health")["value"] is None
    assert "not valid JSON" in render(_message(b"{oops"), REGISTRY, None)["error"]


def test_decision_topics_print_the_decision_dict() -> None:
    record = REGISTRY.from_json("decision", REGISTRY.examples("decision")[0])
    from mash.avro.decision import decision_from_avro

    decision = decision_from_avro(record)
    line = render(_message(encode_decision(decision)), REGISTRY, "decision")
    assert line["value"] == decision
    assert line["value"]["facts"] == {"age_years": 6, "concern_codes": ["3C"]}


def test_binary_keys_are_shown_as_base64() -> None:
    assert render(_message(None, b"\xff\x00"), REGISTRY, None)["key"] == "base64:/wA="
