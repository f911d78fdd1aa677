"""Identity resolution: exact on identifiers, probable or possible on names, never a silent
merge of twins, and a stable child key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mash.domain.identity import (
    FORENAME_STRONG,
    are_variants,
    child_key,
    child_profile,
    compare,
    forename_similarity,
    resolve,
    surname_similarity,
)
from mash.domain.records import PersonRecord
from mash.domain.referral import Child

DOB = date(2019, 3, 8)
UPDATED = datetime(2026, 11, 20, 9, tzinfo=UTC)


def a_child(**changes: Any) -> Child:
    base = Child(
        index=0, forenames="Oliver", surname="Shaw", dob=DOB, nhs_number=None, postcode="TS20 1LB"
    )
    return replace(base, **changes)


def a_record(person_id: str = "P-1", **changes: Any) -> PersonRecord:
    base = PersonRecord(
        kind="police",
        person_id=person_id,
        forenames="Oliver",
        surname="Shaw",
        dob=DOB,
        updated_at=UPDATED,
        nhs_number=None,
        postcode="TS20 1LB",
    )
    return replace(base, **changes)


def match_of(child: Child, record: PersonRecord) -> str:
    return compare(child_profile(child), record).match


def test_equal_nhs_numbers_are_an_exact_match_whatever_the_names() -> None:
    child = a_child(nhs_number="9990001030", forenames="Ollie")
    record = a_record(nhs_number="9990001030", surname="Shaw-Jones", postcode="TS1 1AA")

    found = compare(child_profile(child), record)

    assert (found.match, found.score, found.reason) == ("EXACT", 1.0, "NHS number matches")


def test_an_exact_identifier_with_another_birthday_is_only_possible() -> None:
    child = a_child(nhs_number="9990001030")
    record = a_record(nhs_number="9990001030", dob=date(2019, 3, 9))

    assert match_of(child, record) == "POSSIBLE"


def test_equal_upns_are_exact() -> None:
    assert (
        match_of(a_child(upn="A123456789012", forenames="Olly"), a_record(upn="A123456789012"))
        == "EXACT"
    )


def test_an_invalid_nhs_number_is_never_matched_on() -> None:
    child = a_child(nhs_number="9990001031", forenames="Zed", surname="Other")
    record = a_record(nhs_number="9990001031")

    assert match_of(child, record) == "NONE"


def test_dob_postcode_and_names_give_a_probable_match() -> None:
    found = compare(child_profile(a_child()), a_record())

    assert found.match == "PROBABLE"
    assert found.score == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("child_name", "record_name"),
    [
        ("Katie", "Catherine"),
        ("Mohammed", "Muhammad"),
        ("Mohamed", "Mohammad"),
        ("Jon", "John"),
        ("Liz", "Elizabeth"),
        ("Olivier", "Oliver"),
    ],
)
def test_nicknames_transliterations_and_typos_of_forenames_match(
    child_name: str, record_name: str
) -> None:
    assert match_of(a_child(forenames=child_name), a_record(forenames=record_name)) == "PROBABLE"


@pytest.mark.parametrize("surname", ["Shaw-Jones", "Jones Shaw", "SHAW", " shaw "])
def test_case_spacing_and_double_barrelled_surnames_match(surname: str) -> None:
    assert match_of(a_child(), a_record(surname=surname)) == "PROBABLE"


def test_a_different_surname_is_not_probable_even_at_the_same_address() -> None:
    assert match_of(a_child(), a_record(surname="Shah")) == "POSSIBLE"


def test_a_one_letter_surname_typo_is_probable() -> None:
    assert match_of(a_child(surname="Harper"), a_record(surname="Harpur")) == "PROBABLE"


@pytest.mark.parametrize(
    ("one", "other"), [("Oliver", "Olivia"), ("Lily", "Lola"), ("Jack", "Jake"), ("Noah", "Nora")]
)
def test_twins_are_never_matched_to_each_other(one: str, other: str) -> None:
    # Same birthday, same address, same surname: only the forename tells twins apart.
    assert match_of(a_child(forenames=one), a_record(forenames=other)) == "NONE"


def test_another_birthday_is_another_child() -> None:
    assert match_of(a_child(), a_record(dob=date(2019, 3, 9))) == "NONE"


@pytest.mark.parametrize("postcode", ["TS20 9ZZ", "M1 1AE", None])
def test_strong_names_elsewhere_or_without_a_postcode_are_possible(postcode: str | None) -> None:
    assert match_of(a_child(), a_record(postcode=postcode)) == "POSSIBLE"


def test_different_nhs_numbers_make_an_otherwise_probable_match_possible() -> None:
    child = a_child(nhs_number="9990001030")
    record = a_record(nhs_number="9990001006")

    found = compare(child_profile(child), record)

    assert found.match == "POSSIBLE"
    assert "differ" in found.reason


def test_different_nhs_numbers_and_another_district_are_no_match() -> None:
    child = a_child(nhs_number="9990001030")
    record = a_record(nhs_number="9990001006", postcode="M1 1AE")

    assert match_of(child, record) == "NONE"


def test_a_surname_change_at_the_same_address_is_possible() -> None:
    assert match_of(a_child(), a_record(surname="Robson")) == "POSSIBLE"


def test_swapped_forename_and_surname_are_possible() -> None:
    assert match_of(a_child(), a_record(forenames="Shaw", surname="Oliver")) == "POSSIBLE"


def test_resolve_prefers_the_exact_record() -> None:
    child = child_profile(a_child(nhs_number="9990001030"))
    probable = a_record("P-1")
    exact = a_record("P-2", nhs_number="9990001030", postcode="TS1 1AA")

    found = resolve(child, [probable, exact])

    assert found.match == "EXACT"
    assert found.record is exact


def test_two_equally_probable_people_make_the_match_only_possible() -> None:
    found = resolve(child_profile(a_child()), [a_record("P-1"), a_record("P-2")])

    assert found.match == "POSSIBLE"
    assert "more than one" in found.reason


def test_duplicate_records_of_one_nhs_number_stay_exact_and_the_latest_wins() -> None:
    older = a_record("P-1", nhs_number="9990001030")
    newer = a_record("P-2", nhs_number="9990001030", updated_at=datetime(2026, 11, 21, tzinfo=UTC))
    found = resolve(child_profile(a_child(nhs_number="9990001030")), [older, newer])

    assert found.match == "EXACT"
    assert found.record is newer


def test_resolve_without_candidates_is_no_match() -> None:
    found = resolve(child_profile(a_child()), [])

    assert (found.match, found.score, found.record) == ("NONE", 0.0, None)


def test_variants_come_from_the_data_table() -> None:
    assert are_variants("kate", "catherine")
    assert are_variants("chris", "christine") and are_variants("chris", "christopher")
    assert not are_variants("christopher", "christine")
    assert not are_variants("oliver", "olivia")


def test_similarities_are_ratios() -> None:
    assert forename_similarity("lily mae", "lily") == 1.0
    assert forename_similarity("", "lily") == 0.0
    assert forename_similarity("oliver", "olivia") < FORENAME_STRONG
    assert forename_similarity("kate", "catherine") >= FORENAME_STRONG
    assert surname_similarity("smith jones", "jones") == 1.0
    assert surname_similarity("shaw", "robson") < 0.5


names = st.sampled_from(
    [
        "Oliver",
        "Olivia",
        "Katie",
        "Kate",
        "Mo",
        "Muhammad",
        "Shaw",
        "Harper",
        "Harpur",
        "",
        "Lily Mae",
    ]
)
places = st.sampled_from(["TS20 1LB", "TS20 9ZZ", "M1 1AE", None])


@given(names, names, names, names, places, st.booleans())
def test_scores_stay_in_0_1_and_a_match_needs_the_same_birthday(
    fore: str, sur: str, other_fore: str, other_sur: str, postcode: str | None, same_dob: bool
) -> None:
    record = a_record(
        forenames=other_fore,
        surname=other_sur,
        postcode=postcode,
        dob=DOB if same_dob else date(2018, 1, 1),
    )
    found = compare(child_profile(a_child(forenames=fore, surname=sur)), record)

    assert 0.0 <= found.score <= 1.0
    if not same_dob:
        assert found.match == "NONE"


def test_child_key_prefers_the_nhs_number_then_the_upn() -> None:
    assert child_key(a_child(nhs_number="9990001030", upn="A123456789012")) == "nhs:9990001030"
    assert child_key(a_child(upn="A123456789012")) == "upn:A123456789012"
    assert child_key(a_child(nhs_number="9990001031", upn="A123456789012")) == ("upn:A123456789012")


def test_child_key_hash_is_stable_normalised_and_not_the_name() -> None:
    key = child_key(a_child())

    assert key.startswith("h:") and len(key) == 22
    assert key == child_key(a_child(forenames=" oliver ", surname="SHAW"))
    assert key != child_key(a_child(forenames="Olivia"))
    assert "oliver" not in key.lower() and "shaw" not in key.lower()


def test_an_unborn_babys_key_uses_the_expected_delivery_date() -> None:
    unborn = a_child(
        forenames="Baby", dob=None, unborn=True, expected_delivery_date=date(2027, 2, 10)
    )

    assert child_key(unborn) != child_key(replace(unborn, expected_delivery_date=date(2027, 3, 1)))
