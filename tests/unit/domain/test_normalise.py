"""Normalisation of identifiers and names: what agencies write differently, made comparable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mash.domain.normalise import (
    is_valid_nhs_number,
    is_valid_upn,
    name_key,
    normalise_nhs_number,
    normalise_postcode,
    normalise_upn,
    postcode_outward,
    soundex,
    tidy_name,
)


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("ts19 0qx", "TS19 0QX"),
        ("TS190QX", "TS19 0QX"),
        (" sw1a  1aa ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("not a postcode", "NOTAPOSTCODE"),
        ("  ", None),
        (None, None),
    ],
)
def test_postcodes_are_upper_case_with_one_space(raw: str | None, tidy: str | None) -> None:
    assert normalise_postcode(raw) == tidy


@pytest.mark.parametrize(
    ("postcode", "outward"),
    [("TS19 0QX", "TS19"), ("SW1A 1AA", "SW1A"), ("M1 1AE", "M1"), (None, None)],
)
def test_outward_code(postcode: str | None, outward: str | None) -> None:
    assert postcode_outward(postcode) == outward


@pytest.mark.parametrize(
    ("number", "valid"),
    [
        ("9990001006", True),
        ("9434765919", True),
        ("9990001007", False),
        ("999000100", False),
        ("99900010066", False),
        (None, False),
        ("999000100\u0666", False),
    ],  # an Arabic-Indic digit is a digit, but not an NHS one
)
def test_nhs_number_check_digit(number: str | None, valid: bool) -> None:
    assert is_valid_nhs_number(number) is valid


def test_a_check_digit_of_10_is_never_valid() -> None:
    # 1000000010: weights give a remainder of 1, so the check digit would be 10.
    first_nine = "100000001"
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    assert 11 - total % 11 == 10
    assert not any(is_valid_nhs_number(first_nine + str(last)) for last in range(10))


def test_nhs_numbers_keep_digits_only() -> None:
    assert normalise_nhs_number("999 000 1006") == "9990001006"
    assert normalise_nhs_number("999-000-1006") == "9990001006"
    assert normalise_nhs_number(9990001006) == "9990001006"
    assert normalise_nhs_number("n/a") is None


def test_upns() -> None:
    assert normalise_upn(" a123456789012 ") == "A123456789012"
    assert is_valid_upn("A123456789012")
    assert is_valid_upn("A12345678901B")  # a temporary UPN ends in a letter
    assert not is_valid_upn("123456789012A")
    assert not is_valid_upn("A12345")


def test_names_tidy_for_display_and_fold_for_matching() -> None:
    assert tidy_name("  Lily   Mae ") == "Lily Mae"
    assert tidy_name("   ") is None
    assert name_key("Zoë O'Brien-Smith") == "zoe obrien smith"
    assert name_key(None) == ""


@pytest.mark.parametrize(
    ("one", "other"),
    [("harper", "harpur"), ("smith", "smyth"), ("mcdonald", "macdonald"), ("ashcraft", "ashcroft")],
)
def test_soundex_groups_misspellings(one: str, other: str) -> None:
    assert soundex(one) == soundex(other)


def test_soundex_keeps_different_surnames_apart() -> None:
    assert soundex("harper") != soundex("robson")
    assert soundex("") == ""
    assert soundex("lee") == "L000"


@given(st.text(max_size=30))
def test_name_key_is_idempotent_and_plain(text: str) -> None:
    key = name_key(text)
    assert name_key(key) == key
    assert all(ch == " " or "a" <= ch <= "z" for ch in key)
