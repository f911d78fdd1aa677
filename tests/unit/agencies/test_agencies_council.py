"""Council requests for support -> canonical referral: services, consent, attendance, UPN."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from mash.agencies import to_referral
from mash.errors import InvalidReferral

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def request(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "request_ref": "REQ-T1",
        "service": "SCHOOL",
        "child": {
            "first_name": "Jack",
            "last_name": "Moss",
            "date_of_birth": "2013-10-05",
            "upn": " b234567890123 ",
            "nhs_number": None,
            "postcode": "TS199XX",
        },
        "concern_codes": ["7A"],
        "disclosure_by_child": False,
        "attendance_percent": 93.0,
        "family_consent": True,
        "support_requested": "EARLY_HELP",
        "description": "Referrer's account.",
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("service", "code"),
    [
        ("SCHOOL", "2A"),
        ("EDUCATION_WELFARE", "2B"),
        ("ADULT_SERVICES", "5A"),
        ("EARLY_HELP", "5D"),
        ("YOUTH_JUSTICE", "5B"),
        ("HOUSING", "4"),
        ("OTHER", "8"),
    ],
)
def test_the_service_gives_the_cin_referral_source(service: str, code: str) -> None:
    assert to_referral("council", request(service=service), RECEIVED).source_code == code


def test_maps_the_child_and_the_request() -> None:
    mapped = to_referral("council", request(), RECEIVED)
    (child,) = mapped.children

    assert (mapped.agency, mapped.source_id) == ("council", "REQ-T1")
    assert child.upn == "B234567890123"
    assert child.postcode == "TS19 9XX"
    assert child.dob == date(2013, 10, 5)
    assert mapped.attendance_percent == 93.0
    assert mapped.support_requested == "EARLY_HELP"
    assert mapped.service == "SCHOOL"
    assert mapped.disclosure_by_child is False
    assert mapped.narrative == "Referrer's account."


@pytest.mark.parametrize(
    ("family_consent", "consent"),
    [(True, "GIVEN"), (False, "REFUSED"), (None, "NOT_RECORDED")],
)
def test_family_consent(family_consent: bool | None, consent: str) -> None:
    mapped = to_referral("council", request(family_consent=family_consent), RECEIVED)

    assert mapped.consent == consent


@pytest.mark.parametrize("percent", [-0.5, 100.1])
def test_attendance_outside_0_to_100_is_invalid(percent: float) -> None:
    with pytest.raises(InvalidReferral, match="REQ-T1: attendance_percent is outside 0-100"):
        to_referral("council", request(attendance_percent=percent), RECEIVED)


def test_an_unknown_support_request_reads_as_assessment() -> None:
    mapped = to_referral("council", request(support_requested="SOMETHING_ELSE"), RECEIVED)

    assert mapped.support_requested == "ASSESSMENT"


def test_json_and_avro_forms_give_the_same_referral() -> None:
    avro = request()
    avro["child"] = {**avro["child"], "date_of_birth": date(2013, 10, 5)}

    assert to_referral("council", avro, RECEIVED) == to_referral("council", request(), RECEIVED)


def test_a_request_without_a_child_is_invalid() -> None:
    with pytest.raises(InvalidReferral, match="council referral REQ-T1: child is missing"):
        to_referral("council", request(child=None), RECEIVED)
