"""NHS safeguarding referrals -> canonical referral: settings, unborn babies, injuries."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mash.agencies import to_referral
from mash.errors import InvalidReferral

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def referral(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "referralId": "NHS-T1",
        "odsCode": "RVW",
        "setting": "EMERGENCY_DEPARTMENT",
        "patient": {
            "nhsNumber": "9990001057",
            "givenName": "Isla",
            "familyName": "Walsh",
            "birthDate": "2026-07-15",
            "postcode": "TS19 7HD",
            "unborn": False,
            "expectedDeliveryDate": None,
        },
        "concernCodes": ["18b"],
        "healthIndicators": ["FAILURE_TO_THRIVE"],
        "injury": {"present": True, "kind": "BRUISE", "explanationConsistent": True},
        "childIsMobile": False,
        "consent": "GIVEN",
        "clinicalNarrative": "Clinician's account.",
    }
    record.update(changes)
    return record


@pytest.mark.parametrize(
    ("setting", "code"),
    [
        ("EMERGENCY_DEPARTMENT", "3E"),
        ("GP", "3A"),
        ("HEALTH_VISITOR", "3B"),
        ("SCHOOL_NURSE", "3C"),
        ("MIDWIFERY", "3D"),
        ("CAMHS", "3F"),
        ("OTHER", "3F"),
        ("WALK_IN_CENTRE", "3F"),
    ],
)
def test_the_setting_gives_the_cin_referral_source(setting: str, code: str) -> None:
    mapped = to_referral("health", referral(setting=setting), RECEIVED)

    assert mapped.source_code == code
    assert mapped.setting == (setting if setting != "WALK_IN_CENTRE" else "OTHER")


def test_maps_the_patient_and_the_injury() -> None:
    mapped = to_referral("health", referral(), RECEIVED)
    (child,) = mapped.children

    assert (mapped.agency, mapped.source_id) == ("health", "NHS-T1")
    assert (child.index, child.forenames, child.surname) == (0, "Isla", "Walsh")
    assert child.dob == date(2026, 7, 15)
    assert child.injured is True
    assert child.injury_kind == "BRUISE"
    assert child.injury_explanation_consistent is True
    assert child.mobile is False
    assert mapped.concern_codes == frozenset({"18B"})
    assert mapped.health_indicators == frozenset({"FAILURE_TO_THRIVE"})
    assert mapped.consent == "GIVEN"
    assert mapped.narrative == "Clinician's account."


def test_no_injury_leaves_injury_unknown() -> None:
    child = to_referral("health", referral(injury=None, childIsMobile=None), RECEIVED).children[0]

    assert child.injured is None and child.injury_kind is None
    assert child.mobile is None


def test_an_injury_marked_absent_is_no_injury() -> None:
    absent = {"present": False, "kind": "BURN", "explanationConsistent": None}

    child = to_referral("health", referral(injury=absent), RECEIVED).children[0]

    assert child.injured is None and child.injury_kind is None


def test_an_unborn_baby_has_no_date_of_birth_but_an_expected_delivery_date() -> None:
    patient = {
        "nhsNumber": None,
        "givenName": "Baby",
        "familyName": "Nixon",
        "birthDate": "2027-02-10",
        "postcode": "TS20 2DU",
        "unborn": True,
        "expectedDeliveryDate": "2027-02-10",
    }

    child = to_referral("health", referral(patient=patient), RECEIVED).children[0]

    assert child.unborn is True
    assert child.dob is None
    assert child.expected_delivery_date == date(2027, 2, 10)


def test_unknown_health_indicators_read_as_other() -> None:
    mapped = to_referral("health", referral(healthIndicators=["pregnant", "NEW_THING"]), RECEIVED)

    assert mapped.health_indicators == frozenset({"PREGNANT", "OTHER"})


def test_json_and_avro_forms_give_the_same_referral() -> None:
    avro = copy.deepcopy(referral(referredAt="2026-11-24T09:30:00Z"))
    avro["patient"]["birthDate"] = date(2026, 7, 15)
    avro["referredAt"] = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)

    assert to_referral("health", avro, RECEIVED) == to_referral(
        "health", referral(referredAt="2026-11-24T09:30:00Z"), RECEIVED
    )


def test_a_referral_without_a_patient_is_invalid() -> None:
    with pytest.raises(InvalidReferral, match="health referral NHS-T1: patient is missing"):
        to_referral("health", referral(patient=None), RECEIVED)


def test_a_patient_that_is_not_an_object_is_invalid() -> None:
    with pytest.raises(InvalidReferral, match="NHS-T1: patient is not an object"):
        to_referral("health", referral(patient=["Isla"]), RECEIVED)
