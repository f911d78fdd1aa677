"""The agencies' single entry point: dispatch, Avro round trips and never crashing on input."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from datafiles import VIGNETTES
from hypothesis import given, settings
from hypothesis import strategies as st

from mash.agencies import AGENCIES, to_referral
from mash.domain.decision import input_digest
from mash.errors import InvalidReferral

RECEIVED = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
PERSONAL = "Zebedee-Quinton"  # planted in every name field; must never reach a message


def test_an_unknown_agency_is_rejected() -> None:
    with pytest.raises(InvalidReferral, match="unknown agency 'fire'"):
        to_referral("fire", {}, RECEIVED)


@pytest.mark.parametrize("agency", AGENCIES)
def test_a_record_that_is_not_an_object_is_invalid(agency: str) -> None:
    with pytest.raises(InvalidReferral, match=f"{agency} referral is not an object"):
        to_referral(agency, ["not", "a", "mapping"], RECEIVED)  # type: ignore[arg-type]


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.just(PERSONAL)
    | st.just("2020-13-45"),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = {
    "police": [
        "ppn_id",
        "incident_at",
        "incident_type",
        "dash_risk",
        "dash_score",
        "children",
        "adults",
        "concern_codes",
        "weapon_used",
        "narrative",
    ],
    "health": [
        "referralId",
        "setting",
        "patient",
        "concernCodes",
        "healthIndicators",
        "injury",
        "childIsMobile",
        "consent",
    ],
    "council": [
        "request_ref",
        "service",
        "child",
        "concern_codes",
        "attendance_percent",
        "family_consent",
        "support_requested",
    ],
}
CHILD_FIELDS = [
    "forenames",
    "surname",
    "dob",
    "nhs_number",
    "postcode",
    "first_name",
    "last_name",
    "date_of_birth",
    "upn",
    "givenName",
    "familyName",
    "birthDate",
    "unborn",
    "expectedDeliveryDate",
    "present_at_incident",
    "injured",
]


@st.composite
def fuzzed(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    agency = draw(st.sampled_from(AGENCIES))
    record = {key: draw(json_values) for key in draw(st.sets(st.sampled_from(FIELDS[agency])))}
    record[{"police": "ppn_id", "health": "referralId", "council": "request_ref"}[agency]] = draw(
        st.sampled_from(["ID-1", "", None, 7])
    )
    child = {
        key: draw(json_values | st.just(PERSONAL))
        for key in draw(st.sets(st.sampled_from(CHILD_FIELDS)))
    }
    holder = {"police": "children", "health": "patient", "council": "child"}[agency]
    record[holder] = [child] if agency == "police" else child
    return agency, record


@settings(max_examples=300, deadline=None)
@given(fuzzed())
def test_fuzzed_records_either_map_or_raise_invalid_referral_without_personal_data(
    case: tuple[str, dict[str, Any]],
) -> None:
    agency, record = case
    try:
        referral = to_referral(agency, record, RECEIVED)
    except InvalidReferral as exc:
        assert PERSONAL not in str(exc)
        assert "2020-13-45" not in str(exc)
    else:
        assert referral.children
        assert all(c.forenames or c.surname or c.nhs_number or c.upn for c in referral.children)


def _vignettes() -> list[tuple[str, dict[str, Any]]]:
    return [
        (agency, json.loads(line))
        for agency in AGENCIES
        for line in (VIGNETTES / f"{agency}.jsonl").read_text().splitlines()
        if line
    ]


@pytest.mark.parametrize("wire", ["confluent", "single-object"])
def test_vignettes_read_alike_from_json_and_from_every_avro_version(wire: str) -> None:
    from mash.avro import Registry

    registry = Registry.default()
    cases = _vignettes()
    assert cases, "the vignettes directory exists but holds no referrals"
    for agency, record in cases:
        expected = to_referral(agency, record, RECEIVED)
        for version in registry.subject(agency).versions:
            payload = registry.encode(
                agency,
                registry.from_json(agency, record, version=version.version),
                version=version.version,
                wire=wire,
            )
            decoded = to_referral(agency, registry.decode(payload, agency), RECEIVED)
            assert decoded == expected, (agency, expected.source_id, version.version)
            assert input_digest(decoded) == input_digest(expected)
