"""The decision dict and the canonical referral on the wire."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mash.avro import (
    Registry,
    decode_decision,
    decode_referral,
    encode_decision,
    encode_referral,
    referral_from_avro,
)
from mash.domain.decision import Decision, FiredRule, decision_from_dict, decision_to_dict
from mash.domain.referral import Adult, Child, Referral
from mash.errors import DecodeError, SchemaError

REGISTRY = Registry.default()


def _decision(**changes: Any) -> Decision:
    decision = Decision(
        decision_id="5f0c2d7e-0000-5000-8000-000000000001",
        agency="police",
        source_id="PPN-1",
        source_code="6",
        child_index=1,
        child_key="ck-1",
        household_id="hh-1",
        match="PROBABLE",
        match_score=0.87,
        route="assessment",
        level=3,
        rules=(
            FiredRule("da-repeat", 3, "Third domestic incident in a year.", {"incidents": 3}),
            FiredRule("checks-incomplete", 3, "A check could not run.", {}),
        ),
        checks={"social-care": "NOT_FOUND", "police": "FOUND", "health": "UNAVAILABLE"},
        check_details={"police": {"match": "EXACT", "score": 1.0, "incidents": [1, 2, 3]}},
        flags=("CHECKS_INCOMPLETE", "IDENTITY_UNCERTAIN"),
        facts={"age_years": 6, "codes": ["3C"], "nested": {"a": None, "b": True}},
        rule_set_version="sha256:abc",
        input_digest="d" * 64,
        received_at=datetime(2026, 11, 23, 22, 41, 5, 123456, tzinfo=UTC),
        decided_at=datetime(2026, 11, 23, 22, 41, 5, 200000, tzinfo=UTC),
        deadline=datetime(2026, 11, 24, 23, 59, 59, tzinfo=UTC),
        decided_by="mash-router@0.1.0",
    )
    return dataclasses.replace(decision, **changes)


@pytest.mark.parametrize("wire", ["confluent", "single-object"])
def test_a_decision_dict_round_trips_exactly(wire: str) -> None:
    decision = _decision()
    as_dict = decision_to_dict(decision)
    payload = encode_decision(as_dict, wire=wire)
    back = decode_decision(payload)
    assert back == as_dict
    assert list(back) == list(as_dict)
    assert decision_from_dict(back) == decision


def test_an_override_carries_what_it_supersedes_and_why() -> None:
    override = _decision(
        kind="override", route="s47", level=4, supersedes="5f0c", reason="Strategy discussion."
    )
    back = decode_decision(encode_decision(decision_to_dict(override)))
    assert (back["kind"], back["supersedes"], back["reason"]) == (
        "override",
        "5f0c",
        "Strategy discussion.",
    )


def test_evidence_and_facts_travel_as_json_text_inside_avro() -> None:
    payload = encode_decision(decision_to_dict(_decision()))
    record = REGISTRY.decode(payload, "decision")
    assert record["facts"] == '{"age_years":6,"codes":["3C"],"nested":{"a":null,"b":true}}'
    assert record["rules"][0]["evidence"] == '{"incidents":3}'
    assert record["decided_at"] == datetime(2026, 11, 23, 22, 41, 5, 200000, tzinfo=UTC)


def test_an_unknown_route_is_refused_with_the_decision_id() -> None:
    with pytest.raises(
        SchemaError, match=r"decision 5f0c2d7e-.*: decision v1: route: not a symbol"
    ):
        encode_decision({**decision_to_dict(_decision()), "route": "elsewhere"})


def test_facts_that_are_not_json_are_refused_by_name() -> None:
    with pytest.raises(SchemaError, match="facts is not JSON-serialisable"):
        encode_decision({**decision_to_dict(_decision()), "facts": {"dob": date(2020, 1, 1)}})


def test_a_payload_of_another_subject_is_not_a_decision() -> None:
    record = REGISTRY.from_json("override", REGISTRY.examples("override")[0])
    with pytest.raises(DecodeError, match="is not of subject decision"):
        decode_decision(REGISTRY.encode("override", record))


# --------------------------------------------------------------------------- canonical


def _avro_fields(record_schema: Mapping[str, Any]) -> list[str]:
    return [field["name"] for field in record_schema["fields"]]


def test_the_canonical_schema_mirrors_the_dataclasses_field_for_field() -> None:
    schema = REGISTRY.schema("canonical").schema
    children = next(f for f in schema["fields"] if f["name"] == "children")["type"]["items"]
    adults = next(f for f in schema["fields"] if f["name"] == "adults")["type"]["items"]
    assert _avro_fields(schema) == [f.name for f in dataclasses.fields(Referral)]
    assert _avro_fields(children) == [f.name for f in dataclasses.fields(Child)]
    assert _avro_fields(adults) == [f.name for f in dataclasses.fields(Adult)]


def _referral() -> Referral:
    return Referral(
        agency="health",
        source_id="NHS-1",
        source_code="3E",
        received_at=datetime(2026, 11, 24, 10, 15, 0, 654321, tzinfo=UTC),
        children=(
            Child(
                0,
                "Example",
                "Baby",
                date(2026, 7, 15),
                "9990000026",
                mobile=False,
                injured=True,
                injury_kind="BRUISE",
                injury_explanation_consistent=False,
            ),
            Child(1, None, "Baby", None, unborn=True, expected_delivery_date=date(2027, 2, 10)),
        ),
        occurred_at=None,
        concern_codes=frozenset({"3B", "FII"}),
        health_indicators=frozenset({"FAILURE_TO_THRIVE"}),
        adults=(Adult("VICTIM", "Example", "Parent"),),
        setting="EMERGENCY_DEPARTMENT",
        attendance_percent=None,
        consent="GIVEN",
        narrative="Synthetic.",
        schema_version=1,
    )


@pytest.mark.parametrize("wire", ["confluent", "single-object"])
def test_a_referral_round_trips_to_an_equal_referral(wire: str) -> None:
    referral = _referral()
    assert decode_referral(encode_referral(referral, wire=wire)) == referral


def test_sets_are_encoded_sorted_so_equal_referrals_encode_alike() -> None:
    first = _referral()
    second = dataclasses.replace(first, concern_codes=frozenset(["FII", "3B"]))
    assert encode_referral(first) == encode_referral(second)


def test_the_canonical_example_maps_onto_the_model() -> None:
    record = REGISTRY.from_json("canonical", REGISTRY.examples("canonical")[0])
    referral = referral_from_avro(record)
    assert referral.children[1].dob == date(2023, 1, 30)
    assert referral.concern_codes == frozenset({"3C"})


# --------------------------------------------------------------------------- dead letters


def test_a_dead_letter_keeps_the_original_bytes_headers_and_position() -> None:
    from mash.avro import deadletter_record, decode_deadletter, encode_deadletter

    original = b"\x00\x00\x00\x03\xe7garbage\xff"
    record = deadletter_record(
        source_topic="mash.referrals.police",
        partition=2,
        offset=9_000_000_000,
        key=b"PPN-1",
        value=original,
        headers=[("traceparent", b"00-abc"), ("empty", None)],
        reason="unknown schema id 999",
        timestamp_ms=1_764_000_000_000,
        worker="host/1",
    )
    back = decode_deadletter(encode_deadletter(record, wire="single-object"))
    assert back["value"] == original
    assert back["headers"] == [
        {"key": "traceparent", "value": b"00-abc"},
        {"key": "empty", "value": None},
    ]
    assert (back["source_topic"], back["partition"], back["offset"]) == (
        "mash.referrals.police",
        2,
        9_000_000_000,
    )
    assert back["timestamp"] == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert back["reason"] == "unknown schema id 999"
    assert back["failed_at"].tzinfo is not None
