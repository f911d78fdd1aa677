"""The worker's per-message logic, without Kafka: routing, determinism, dead letters, records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from stream_samples import NOW, POLICE, SENT_MS, SOCIAL_CARE, TOPICS, police

from mash.avro.canonical import decode_referral
from mash.avro.decision import decode_decision
from mash.avro.registry import Registry
from mash.domain.clocks import FixedClock
from mash.domain.records import RecordIndex
from mash.domain.routing import Router
from mash.domain.thresholds import RuleSet
from mash.errors import DecodeError, InvalidRecord
from mash.stream.messages import Incoming, Outgoing
from mash.stream.pipeline import Pipeline, apply_record, explain

Make = Callable[..., Incoming]
PERSONAL = ("Lily", "Noah", "Harper", "Jade", "2020-05-14", "TS19")


def dead_letter(registry: Registry, out: list[Outgoing]) -> dict[str, Any]:
    assert len(out) == 1, f"expected one dead letter, got {[m.topic for m in out]}"
    assert out[0].topic == TOPICS.deadletter
    return registry.decode(out[0].value, "deadletter")


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


# --------------------------------------------------------------------------- routing


def test_a_referral_becomes_canonical_then_a_work_item_and_a_decision_per_child(
    pipeline: Pipeline, message: Make, registry: Registry
) -> None:
    out = pipeline.ingest("police", message("police", police()))

    assert [m.topic for m in out[:1]] == [TOPICS.canonical]
    assert out[0].key == b"police:PPN-U-0001"
    canonical = decode_referral(out[0].value, registry=registry)
    assert canonical.source_id == "PPN-U-0001"
    assert len(canonical.children) == 2

    pairs = [out[i : i + 2] for i in range(1, len(out), 2)]
    assert len(pairs) == 2
    decisions = []
    for work_item, event in pairs:
        decision = decode_decision(event.value, registry=registry)
        decisions.append(decision)
        assert event.topic == TOPICS.decisions
        assert work_item.topic == TOPICS.queue(decision["route"])
        assert work_item.value == event.value  # the queue carries the full decision
        assert work_item.key == event.key == decision["decision_id"].encode()
    assert [d["child_index"] for d in decisions] == [0, 1]
    assert len({d["household_id"] for d in decisions}) == 1
    assert len({d["decision_id"] for d in decisions}) == 2
    assert decisions[0]["checks"]["social-care"] == "FOUND"
    assert decisions[1]["checks"]["social-care"] == "NOT_FOUND"
    assert pipeline.counts.referrals == 1
    assert pipeline.counts.children == 2
    assert sum(pipeline.counts.routes.values()) == 2


def test_received_at_is_the_message_timestamp_not_the_clock(
    pipeline: Pipeline, message: Make, registry: Registry
) -> None:
    out = pipeline.ingest("police", message("police", police()))
    decision = decode_decision(out[1].value, registry=registry)
    sent = datetime.fromtimestamp(SENT_MS / 1000, tz=UTC)
    assert datetime.fromisoformat(decision["received_at"]) == sent
    assert datetime.fromisoformat(decision["decided_at"]) == NOW
    assert sent != NOW


def test_a_redelivered_message_yields_the_same_decisions(
    registry: Registry, rules: RuleSet, index: RecordIndex, message: Make
) -> None:
    """What makes at-least-once safe: a replay after a crash produces the same ids (and,
    decided_at aside, the same decisions), so the log and the queues drop the copy."""
    first = Pipeline(TOPICS, registry, Router(rules, index, clock=FixedClock(NOW)))
    later = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    second = Pipeline(TOPICS, registry, Router(rules, index, clock=FixedClock(later)))
    sent = message("police", police())

    a = [decode_decision(m.value, registry=registry) for m in first.ingest("police", sent)[2::2]]
    b = [decode_decision(m.value, registry=registry) for m in second.ingest("police", sent)[2::2]]

    assert [d["decision_id"] for d in a] == [d["decision_id"] for d in b]
    for x, y in zip(a, b, strict=True):
        assert x["decided_at"] != y["decided_at"]
        assert {**x, "decided_at": None} == {**y, "decided_at": None}


@pytest.mark.parametrize(
    ("version", "wire"),
    [(1, "confluent"), (2, "single-object"), (1, "single-object"), (2, "confluent")],
)
def test_both_police_versions_in_both_framings_are_routed(
    pipeline: Pipeline, message: Make, registry: Registry, version: int, wire: str
) -> None:
    record = police() if version == 1 else police(dash_score=17)
    out = pipeline.ingest("police", message("police", record, version, wire))
    topics = [m.topic for m in out]
    assert topics[0] == TOPICS.canonical
    assert topics.count(TOPICS.decisions) == 2
    assert TOPICS.deadletter not in topics
    assert decode_referral(out[0].value, registry=registry).dash_score == (
        17 if version == 2 else None
    )


# --------------------------------------------------------------------------- dead letters


GARBAGE = [
    pytest.param(b"", id="empty"),
    pytest.param(b"not avro at all", id="text"),
    pytest.param(b"\x00\x00\x00\x03\xe7\x02", id="unknown-schema-id"),
    pytest.param(b"\xc3\x01" + bytes(8) + b"\x02", id="unknown-fingerprint"),
]


@pytest.mark.parametrize("payload", GARBAGE)
def test_undecodable_bytes_are_dead_lettered_whole(
    pipeline: Pipeline, registry: Registry, payload: bytes
) -> None:
    original = Incoming(
        TOPICS.referrals("health"),
        2,
        41,
        b"k",
        payload,
        SENT_MS,
        (("traceparent", b"00-x"), ("empty", None)),
    )
    out = pipeline.ingest("health", original)
    letter = dead_letter(registry, out)
    assert out[0].key == b"k"
    assert letter["value"] == payload
    assert letter["source_topic"] == TOPICS.referrals("health")
    assert (letter["partition"], letter["offset"]) == (2, 41)
    assert letter["headers"] == [
        {"key": "traceparent", "value": b"00-x"},
        {"key": "empty", "value": None},
    ]
    assert letter["stage"] == "decode"
    assert letter["reason"]
    assert letter["worker"] == "test/1"
    assert pipeline.counts.dead_letters["decode"] == 1
    assert pipeline.counts.referrals == 0


def test_a_tombstone_on_an_ingest_topic_is_dead_lettered(
    pipeline: Pipeline, registry: Registry
) -> None:
    out = pipeline.ingest("council", Incoming(TOPICS.referrals("council"), 0, 3, b"k", None))
    letter = dead_letter(registry, out)
    assert letter["value"] is None
    assert letter["stage"] == "decode"


def test_a_truncated_referral_is_dead_lettered(
    pipeline: Pipeline, registry: Registry, message: Make
) -> None:
    whole = message("police", police())
    cut = Incoming(
        whole.topic,
        whole.partition,
        whole.offset,
        whole.key,
        whole.value[: len(whole.value) // 2] if whole.value else None,
    )
    letter = dead_letter(registry, pipeline.ingest("police", cut))
    assert letter["stage"] == "decode"
    assert "truncated" in letter["reason"] or "invalid" in letter["reason"]
    assert_no_personal_data(letter["reason"])


def test_another_agencys_schema_on_an_ingest_topic_is_dead_lettered(
    pipeline: Pipeline, registry: Registry, message: Make
) -> None:
    wrong = message("police", police())  # police bytes arriving on the health topic
    letter = dead_letter(registry, pipeline.ingest("health", wrong))
    assert letter["stage"] == "decode"
    assert "police" in letter["reason"]


def test_a_referral_that_fails_validation_is_dead_lettered_without_personal_data(
    pipeline: Pipeline, registry: Registry, message: Make
) -> None:
    nameless = {
        **POLICE["children"][0],
        "forenames": "",
        "surname": "",
        "nhs_number": None,
        "dob": "2020-05-14",
    }
    record = police(children=[nameless])
    out = pipeline.ingest("police", message("police", record))
    letter = dead_letter(registry, out)
    assert letter["stage"] == "validate"
    assert "PPN-U-0001" in letter["reason"]
    assert_no_personal_data(letter["reason"])


class ExplodingRouter:
    """A router that fails outside the per-child safety net (e.g. a bug in a new release)."""

    def decide(self, referral: Any, decided_at: Any = None) -> list[Any]:
        raise RuntimeError("cannot route Lily Harper born 2020-05-14")


def test_a_routing_failure_is_dead_lettered_and_the_next_message_flows(
    registry: Registry, pipeline: Pipeline, message: Make
) -> None:
    broken = Pipeline(TOPICS, registry, ExplodingRouter(), worker="w")  # type: ignore[arg-type]
    letter = dead_letter(registry, broken.ingest("police", message("police", police())))
    assert letter["stage"] == "route"
    assert letter["reason"] == "internal error (RuntimeError)"
    assert_no_personal_data(letter["reason"])
    # and a healthy pipeline still routes the same bytes
    assert len(pipeline.ingest("police", message("police", police()))) == 5


def test_explain_keeps_project_messages_and_hides_others() -> None:
    assert explain(DecodeError("unknown schema id 999")) == "unknown schema id 999"
    assert explain(KeyError("Lily")) == "internal error (KeyError)"


# --------------------------------------------------------------------------- records


def encoded_record(registry: Registry, kind: str, record: dict[str, Any]) -> bytes:
    subject = f"records.{kind}"
    return registry.encode(subject, registry.from_json(subject, record))


def test_records_are_put_replaced_only_by_newer_and_erased_by_tombstones(
    registry: Registry,
) -> None:
    index = RecordIndex()
    key = SOCIAL_CARE["person_id"].encode()
    newer = {**SOCIAL_CARE, "status": "CLOSED", "updated_at": "2026-11-22T09:00:00Z"}

    assert (
        apply_record(
            index,
            registry,
            "social-care",
            key,
            encoded_record(registry, "social-care", SOCIAL_CARE),
        )
        == "put"
    )
    assert (
        apply_record(
            index, registry, "social-care", key, encoded_record(registry, "social-care", newer)
        )
        == "put"
    )
    assert (
        apply_record(
            index,
            registry,
            "social-care",
            key,
            encoded_record(registry, "social-care", SOCIAL_CARE),
        )
        == "kept"
    )
    held = index.get("social-care", "SC-U-1")
    assert held is not None and held.attributes["status"] == "CLOSED"

    assert apply_record(index, registry, "social-care", key, None) == "removed"
    assert index.get("social-care", "SC-U-1") is None
    assert apply_record(index, registry, "social-care", key, None) == "absent"


def test_a_record_under_another_key_is_refused(registry: Registry) -> None:
    index = RecordIndex()
    with pytest.raises(InvalidRecord, match="not its person_id"):
        apply_record(
            index,
            registry,
            "social-care",
            b"SC-OTHER",
            encoded_record(registry, "social-care", SOCIAL_CARE),
        )
    with pytest.raises(InvalidRecord, match="without a key"):
        apply_record(
            index,
            registry,
            "social-care",
            None,
            encoded_record(registry, "social-care", SOCIAL_CARE),
        )
    assert index.count("social-care") == 0


def test_an_unreadable_record_is_dead_lettered_and_the_index_untouched(
    pipeline: Pipeline, registry: Registry
) -> None:
    index = RecordIndex()
    garbage = Incoming(TOPICS.records("health"), 0, 9, b"H-1", b"\x00\x00\x00\x01\x91junk")
    wrong_kind = Incoming(
        TOPICS.records("health"),
        0,
        10,
        b"SC-U-1",
        encoded_record(registry, "social-care", SOCIAL_CARE),
    )
    for bad in (garbage, wrong_kind):
        letter = dead_letter(registry, pipeline.record(index, "health", bad))
        assert letter["stage"] == "record"
        assert letter["value"] == bad.value
    good = Incoming(
        TOPICS.records("social-care"),
        0,
        11,
        b"SC-U-1",
        encoded_record(registry, "social-care", SOCIAL_CARE),
    )
    assert pipeline.record(index, "social-care", good) == []
    assert len(index) == 1
    assert pipeline.counts.records == 1
    assert pipeline.counts.dead_letters["record"] == 2
