"""The decision dict (exact keys, lossless round trip) and the ids that make replays safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from mash.domain.decision import (
    DECISION_NAMESPACE,
    Decision,
    DecisionRecord,
    FiredRule,
    decision_from_dict,
    decision_to_dict,
    household_id,
    input_digest,
    iso_utc,
    make_decision_id,
)
from mash.domain.referral import Adult, Child, Referral
from mash.errors import DecodeError

RECEIVED = datetime(2026, 11, 24, 10, tzinfo=UTC)
KEYS = {
    "decision_id",
    "kind",
    "agency",
    "source_id",
    "source_code",
    "child_index",
    "child_key",
    "household_id",
    "match",
    "match_score",
    "route",
    "level",
    "rules",
    "checks",
    "check_details",
    "flags",
    "facts",
    "rule_set_version",
    "input_digest",
    "received_at",
    "decided_at",
    "deadline",
    "decided_by",
    "supersedes",
    "reason",
}


def a_decision(**changes: object) -> Decision:
    base = Decision(
        decision_id=make_decision_id("police", "PPN-1", 0, "abc123", "d1"),
        agency="police",
        source_id="PPN-1",
        source_code="6",
        child_index=0,
        child_key="nhs:9990001006",
        household_id=household_id("police", "PPN-1"),
        match="EXACT",
        match_score=1.0,
        route="s47",
        level=4,
        rules=(FiredRule("l4.x", 4, "Because.", {"dash_risk": "HIGH", "concerns": ["3C"]}),),
        checks={"social-care": "FOUND", "police": "UNAVAILABLE"},
        check_details={"social-care": {"outcome": "FOUND", "status": "CP_PLAN"}},
        flags=("CHECKS_INCOMPLETE",),
        facts={"age_months": 40, "concerns": ["3C"]},
        rule_set_version="abc123",
        input_digest="0" * 64,
        received_at=RECEIVED,
        decided_at=RECEIVED + timedelta(seconds=1),
        decided_by="mash-router@0.1.0",
        deadline=datetime(2026, 11, 24, 17, tzinfo=UTC),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_dict_has_exactly_the_keys_of_the_brief_and_is_json() -> None:
    as_dict = decision_to_dict(a_decision())

    assert set(as_dict) == KEYS
    assert as_dict["rules"] == [
        {
            "id": "l4.x",
            "level": 4,
            "reason": "Because.",
            "evidence": {"dash_risk": "HIGH", "concerns": ["3C"]},
        }
    ]
    assert as_dict["received_at"] == "2026-11-24T10:00:00Z"
    assert as_dict["deadline"] == "2026-11-24T17:00:00Z"
    assert as_dict["flags"] == ["CHECKS_INCOMPLETE"]
    assert as_dict["supersedes"] is None and as_dict["reason"] is None
    assert json.loads(json.dumps(as_dict)) == as_dict


def test_the_decision_record_type_has_exactly_those_keys() -> None:
    assert DecisionRecord.__required_keys__ == KEYS
    assert DecisionRecord.__optional_keys__ == {"action"}  # the log's staff entries only


def test_round_trip_is_lossless_including_overrides() -> None:
    override = a_decision(
        kind="override",
        supersedes="some-id",
        reason="Known to CAMHS.",
        decided_by="staff:jsmith",
        route="assessment",
        level=3,
    )

    for decision in (a_decision(), override):
        assert decision_from_dict(json.loads(json.dumps(decision_to_dict(decision)))) == decision


def test_from_dict_accepts_offsets_and_converts_to_utc() -> None:
    as_dict = decision_to_dict(a_decision())
    as_dict["decided_at"] = "2026-11-24T11:00:01+01:00"

    assert decision_from_dict(as_dict).decided_at == RECEIVED + timedelta(seconds=1)


def test_from_dict_names_what_is_missing() -> None:
    as_dict = decision_to_dict(a_decision())
    del as_dict["route"], as_dict["deadline"]

    with pytest.raises(DecodeError, match=r"decision .*: missing route, deadline"):
        decision_from_dict(as_dict)


def test_from_dict_rejects_a_malformed_time() -> None:
    as_dict = {**decision_to_dict(a_decision()), "received_at": "yesterday"}

    with pytest.raises(DecodeError, match="malformed"):
        decision_from_dict(as_dict)


def test_iso_utc() -> None:
    assert iso_utc(datetime(2026, 6, 1, 18, 0, tzinfo=timezone(timedelta(hours=1)))) == (
        "2026-06-01T17:00:00Z"
    )
    assert iso_utc(datetime(2026, 6, 1, 17, 0)) == "2026-06-01T17:00:00Z"


def test_decision_ids_are_uuid5_of_referral_child_rule_set_and_input() -> None:
    decision_id = make_decision_id("police", "PPN-1", 1, "abc123", "d1")

    assert decision_id == str(uuid.uuid5(DECISION_NAMESPACE, "police|PPN-1|1|abc123|d1"))
    assert decision_id == make_decision_id("police", "PPN-1", 1, "abc123", "d1")
    others = {
        make_decision_id("police", "PPN-1", 0, "abc123", "d1"),
        make_decision_id("police", "PPN-1", 1, "def456", "d1"),
        make_decision_id("health", "PPN-1", 1, "abc123", "d1"),
        # a corrected referral resent under the same id is a new decision, not a duplicate
        make_decision_id("police", "PPN-1", 1, "abc123", "d2"),
    }
    assert decision_id not in others and len(others) == 4


def test_children_of_one_referral_share_a_household() -> None:
    assert household_id("police", "PPN-1") == household_id("police", "PPN-1")
    assert household_id("police", "PPN-1") != household_id("police", "PPN-2")
    assert household_id("police", "X") != household_id("health", "X")


def a_referral(**changes: object) -> Referral:
    base = Referral(
        agency="police",
        source_id="PPN-1",
        source_code="6",
        received_at=RECEIVED,
        children=(
            Child(0, "Lily", "Harper", date(2020, 5, 14), "9990001006"),
            Child(1, "Noah", "Harper", date(2023, 1, 30)),
        ),
        concern_codes=frozenset({"3C", "16A", "1B", "FII"}),
        adults=(Adult("VICTIM", "Jade"),),
        dash_risk="HIGH",
        narrative="What the officer saw.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_the_input_digest_ignores_receipt_time_but_not_content() -> None:
    digest = input_digest(a_referral())

    assert len(digest) == 64 and int(digest, 16) >= 0
    assert input_digest(a_referral(received_at=RECEIVED + timedelta(days=3))) == digest
    assert input_digest(a_referral(narrative="Something else.")) != digest
    assert input_digest(a_referral(dash_risk="MEDIUM")) != digest


def test_the_input_digest_is_the_same_in_another_process() -> None:
    # Sets iterate in a per-process order (hash randomisation): the digest must not care.
    code = (
        "from tests.unit.domain.test_decision import a_referral;"
        "from mash.domain.decision import input_digest;"
        "print(input_digest(a_referral()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=root, check=True
    ).stdout.strip()

    assert other == input_digest(a_referral())
