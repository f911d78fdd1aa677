"""Cross-agency checks: found, not found, or unavailable, and never unavailable read as none."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mash.domain.checks import (
    CheckPolicy,
    check_child,
    check_detail,
    check_kind,
    is_confirmed,
    is_uncertain,
)
from mash.domain.identity import child_profile
from mash.domain.records import PersonRecord, RecordIndex, RecordKind
from mash.domain.referral import Child

RECEIVED = datetime(2026, 11, 24, 10, tzinfo=UTC)


def a_child(**changes: Any) -> Child:
    base = Child(
        index=0,
        forenames="Oliver",
        surname="Shaw",
        dob=date(2019, 3, 8),
        nhs_number="9990001030",
        postcode="TS20 1LB",
    )
    return replace(base, **changes)


def social_care(**changes: Any) -> dict[str, Any]:
    base = {
        "person_id": "SC-1",
        "nhs_number": "9990001030",
        "forenames": "Oliver",
        "surname": "Shaw",
        "dob": "2019-03-08",
        "postcode": "TS20 1LB",
        "updated_at": "2026-11-20T09:00:00Z",
        "status": "CP_PLAN",
        "referrals_12m": 1,
        "last_s47_date": "2026-01-05",
    }
    base.update(changes)
    return base


def index_with(*rows: dict[str, Any], kind: RecordKind = "social-care") -> RecordIndex:
    index = RecordIndex()
    index.load(kind, rows)
    return index


def run(
    child: Child, index: Any, kind: RecordKind = "social-care", max_age: timedelta | None = None
) -> Any:
    return check_kind(kind, child, child_profile(child), index, RECEIVED, max_age)


def test_found_by_nhs_number() -> None:
    result = run(a_child(), index_with(social_care()))

    assert (result.outcome, result.match, result.score) == ("FOUND", "EXACT", 1.0)
    assert result.record is not None and result.record.person_id == "SC-1"
    assert is_confirmed(result) and not is_uncertain(result)


def test_not_found_when_loaded_and_nobody_matches() -> None:
    result = run(a_child(nhs_number="9990001006", forenames="Lily"), index_with(social_care()))

    assert (result.outcome, result.record) == ("NOT_FOUND", None)


def test_unavailable_when_the_kind_is_not_loaded() -> None:
    result = run(a_child(), RecordIndex())

    assert (result.outcome, result.reason) == ("UNAVAILABLE", "records not loaded")


class BrokenStore:
    def available(self, kind: RecordKind) -> bool:
        return True

    def candidates(self, kind: RecordKind, child: Child) -> list[PersonRecord]:
        raise ConnectionError("rocksdb said: Oliver Shaw 2019-03-08")


def test_a_failing_lookup_is_unavailable_and_names_only_the_error_type() -> None:
    result = run(a_child(), BrokenStore())

    assert result.outcome == "UNAVAILABLE"
    assert result.reason == "lookup failed (ConnectionError)"


def test_a_record_older_than_the_limit_is_unavailable_and_not_used() -> None:
    index = index_with(social_care(updated_at="2025-01-01T00:00:00Z"))

    result = run(a_child(), index, max_age=timedelta(days=365))

    assert result.outcome == "UNAVAILABLE"
    assert result.record is None
    assert "SC-1" in result.reason and "stale" in result.reason
    assert run(a_child(), index).outcome == "FOUND"  # no limit by default


def test_an_unborn_baby_without_identifiers_cannot_be_searched() -> None:
    unborn = a_child(
        forenames="Baby",
        dob=None,
        nhs_number=None,
        unborn=True,
        expected_delivery_date=date(2027, 2, 10),
    )

    result = run(unborn, index_with(social_care()))

    assert result.outcome == "UNAVAILABLE"
    assert "no date of birth or identifier" in result.reason


def test_a_possible_match_is_found_but_uncertain() -> None:
    index = index_with(social_care(nhs_number=None, postcode="M1 1AE"))

    result = run(a_child(nhs_number=None), index)

    assert (result.outcome, result.match) == ("FOUND", "POSSIBLE")
    assert is_uncertain(result) and not is_confirmed(result)


def test_check_child_runs_every_configured_kind() -> None:
    index = index_with(social_care())
    index.mark_available("police")

    results = check_child(a_child(), child_profile(a_child()), index, RECEIVED)

    assert {kind: r.outcome for kind, r in results.items()} == {
        "social-care": "FOUND",
        "early-help": "UNAVAILABLE",
        "police": "NOT_FOUND",
        "health": "UNAVAILABLE",
    }
    only = check_child(
        a_child(), child_profile(a_child()), index, RECEIVED, CheckPolicy(kinds=("police",))
    )
    assert list(only) == ["police"]


def test_details_summarise_codes_and_counts_without_personal_data() -> None:
    result = run(a_child(), index_with(social_care()))

    detail = check_detail(result)

    assert detail == {
        "outcome": "FOUND",
        "match": "EXACT",
        "score": 1.0,
        "reason": "NHS number matches",
        "person_id": "SC-1",
        "updated_at": "2026-11-20T09:00:00Z",
        "status": "CP_PLAN",
        "referrals_12m": 1,
        "last_s47_date": "2026-01-05",
    }


def test_the_lead_professionals_name_is_not_in_the_details() -> None:
    row = {
        key: value
        for key, value in social_care().items()
        if key not in ("status", "referrals_12m", "last_s47_date")
    }
    index = index_with(
        {**row, "open_episode": True, "lead_professional": "Pat Jones"}, kind="early-help"
    )

    detail = check_detail(run(a_child(), index, kind="early-help"))

    assert detail["open_episode"] is True and detail["has_lead_professional"] is True
    assert "Pat Jones" not in str(detail)


@pytest.mark.parametrize("outcome_kind", ["social-care", "police"])
def test_details_of_a_miss_carry_no_record(outcome_kind: RecordKind) -> None:
    detail = check_detail(run(a_child(), RecordIndex(), kind=outcome_kind))

    assert detail == {
        "outcome": "UNAVAILABLE",
        "match": "NONE",
        "score": 0.0,
        "reason": "records not loaded",
    }
