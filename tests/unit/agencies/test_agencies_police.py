"""Police notifications -> canonical referral: both schema versions, both input forms."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mash.agencies import to_referral
from mash.errors import InvalidReferral

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)


def notification(**changes: Any) -> dict[str, Any]:
    """A v1 PPN in JSON form, two children; ``changes`` replace top-level fields."""
    record: dict[str, Any] = {
        "ppn_id": "PPN-T1",
        "force_code": "CLE",
        "incident_at": "2026-11-23T22:40:00Z",
        "incident_type": "DOMESTIC_ABUSE",
        "dash_risk": "HIGH",
        "children": [
            {
                "forenames": " Lily  Mae ",
                "surname": "Harper",
                "dob": "2020-05-14",
                "nhs_number": "999 000 1006",
                "postcode": "ts19  0qx",
                "present_at_incident": True,
                "injured": False,
            },
            {
                "forenames": "Noah",
                "surname": "Harper",
                "dob": "2023-01-30",
                "nhs_number": None,
                "postcode": None,
                "present_at_incident": False,
                "injured": True,
            },
        ],
        "adults": [
            {"role": "VICTIM", "forenames": "Jade", "surname": "Harper", "dob": "1996-02-11"},
            {"role": "SUSPECT", "forenames": "Ryan", "surname": "Cole"},
        ],
        "concern_codes": ["3c", " 16A "],
        "non_fatal_strangulation": True,
        "weapon_used": False,
        "victim_pregnant": False,
        "marac_referral": True,
        "narrative": "Officer's account.",
    }
    record.update(changes)
    return record


def avro_form(record: dict[str, Any]) -> dict[str, Any]:
    """The same notification as fastavro decodes it: dates and datetimes as objects."""
    out = copy.deepcopy(record)
    out["incident_at"] = datetime.fromisoformat(out["incident_at"])
    for person in (*out["children"], *out["adults"]):
        if person.get("dob"):
            person["dob"] = date.fromisoformat(person["dob"])
    return out


def test_maps_every_field_of_a_v1_notification() -> None:
    referral = to_referral("police", notification(), RECEIVED)

    assert (referral.agency, referral.source_id, referral.source_code) == ("police", "PPN-T1", "6")
    assert referral.received_at == RECEIVED
    assert referral.occurred_at == datetime(2026, 11, 23, 22, 40, tzinfo=UTC)
    assert referral.incident_type == "DOMESTIC_ABUSE"
    assert referral.dash_risk == "HIGH"
    assert referral.dash_score is None
    assert referral.schema_version == 1
    assert referral.non_fatal_strangulation and referral.marac_referral
    assert not referral.weapon_used
    assert referral.concern_codes == frozenset({"3C", "16A"})
    assert referral.consent == "NOT_RECORDED"
    assert [adult.role for adult in referral.adults] == ["VICTIM", "SUSPECT"]
    assert referral.adults[0].dob == date(1996, 2, 11)
    assert referral.adults[1].dob is None


def test_children_keep_the_officers_order_and_are_normalised() -> None:
    first, second = to_referral("police", notification(), RECEIVED).children

    assert (first.index, second.index) == (0, 1)
    assert first.forenames == "Lily Mae"
    assert first.nhs_number == "9990001006"
    assert first.postcode == "TS19 0QX"
    assert first.dob == date(2020, 5, 14)
    assert first.present_at_incident is True and first.injured is False
    assert second.nhs_number is None and second.postcode is None
    assert second.injured is True


def test_v2_carries_the_dash_score_and_the_childs_voice() -> None:
    record = notification(dash_score=16, child_voice="Said she hid upstairs.")

    referral = to_referral("police", record, RECEIVED)

    assert referral.dash_score == 16
    assert referral.schema_version == 2
    assert referral.narrative.startswith("Officer's account.")
    assert "Said she hid upstairs." in referral.narrative


def test_json_and_avro_forms_give_the_same_referral() -> None:
    record = notification(dash_score=3)

    assert to_referral("police", avro_form(record), RECEIVED) == to_referral(
        "police", record, RECEIVED
    )


def test_a_v1_record_read_through_the_v2_schema_is_still_version_1() -> None:
    # An Avro reader on the newest schema fills every v2 field with its null default.
    resolved = notification(
        dash_score=None,
        reported_at=None,
        crime_reference=None,
        officer_id=None,
        previous_incidents_12m=None,
        child_voice=None,
    )

    assert to_referral("police", resolved, RECEIVED) == to_referral(
        "police", notification(), RECEIVED
    )


@pytest.mark.parametrize("score", [-1, 28])
def test_a_dash_score_outside_the_checklist_is_rejected(score: int) -> None:
    with pytest.raises(InvalidReferral, match=r"PPN-T1: dash_score is outside 0-27"):
        to_referral("police", notification(dash_score=score), RECEIVED)


def test_unknown_enum_symbols_read_as_the_schemas_fail_upward_default() -> None:
    referral = to_referral(
        "police", notification(dash_risk="EXTREME", incident_type="SOMETHING"), RECEIVED
    )

    assert referral.dash_risk == "NOT_ASSESSED"
    assert referral.incident_type == "OTHER"


def test_lower_case_symbols_are_accepted() -> None:
    assert to_referral("police", notification(dash_risk="medium"), RECEIVED).dash_risk == "MEDIUM"


def test_an_invalid_nhs_number_is_kept_for_staff_but_the_referral_is_not_rejected() -> None:
    record = notification()
    record["children"][0]["nhs_number"] = "999-000-1007"  # wrong check digit

    child = to_referral("police", record, RECEIVED).children[0]

    assert child.nhs_number == "9990001007"


def test_naive_times_are_taken_as_utc() -> None:
    referral = to_referral(
        "police", notification(incident_at="2026-11-23T22:40:00"), datetime(2026, 11, 24, 10)
    )

    assert referral.occurred_at == datetime(2026, 11, 23, 22, 40, tzinfo=UTC)
    assert referral.received_at == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_a_notification_without_children_is_invalid() -> None:
    with pytest.raises(InvalidReferral, match=r"police referral PPN-T1: children is empty"):
        to_referral("police", notification(children=[]), RECEIVED)


def test_a_child_with_neither_name_nor_identifier_is_invalid_and_named_by_position() -> None:
    record = notification()
    record["children"][1] = {
        "forenames": " ",
        "surname": None,
        "dob": "2023-01-30",
        "nhs_number": "123",
        "present_at_incident": True,
        "injured": False,
    }

    with pytest.raises(InvalidReferral, match=r"PPN-T1: children\[1\] has neither a name nor"):
        to_referral("police", record, RECEIVED)


def test_a_child_known_only_by_a_valid_nhs_number_is_accepted() -> None:
    record = notification()
    record["children"][1] = {
        "forenames": None,
        "surname": None,
        "nhs_number": "9990001014",
        "present_at_incident": True,
        "injured": False,
    }

    assert to_referral("police", record, RECEIVED).children[1].nhs_number == "9990001014"


def test_an_unparseable_date_names_the_field_but_not_the_value() -> None:
    record = notification()
    record["children"][0]["dob"] = "2020-13-45"

    with pytest.raises(InvalidReferral) as raised:
        to_referral("police", record, RECEIVED)

    message = str(raised.value)
    assert "PPN-T1" in message and "children[0].dob" in message
    assert "2020-13-45" not in message and "Harper" not in message


def test_a_missing_id_is_invalid() -> None:
    with pytest.raises(InvalidReferral, match="police referral without ppn_id"):
        to_referral("police", notification(ppn_id="  "), RECEIVED)


def test_a_wrongly_typed_flag_is_rejected_not_guessed() -> None:
    with pytest.raises(InvalidReferral, match="weapon_used is not true or false"):
        to_referral("police", notification(weapon_used="yes"), RECEIVED)
