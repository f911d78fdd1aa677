"""Canonical JSON in both formats: RFC 8785's own examples, and what the log refuses to seal."""

from __future__ import annotations

import json
import random
import struct
from collections.abc import Callable
from typing import Any

import pytest
import rfc8785

from mash.audit.canonical import (
    FORMAT_1,
    FORMAT_2,
    MAX_SAFE_INTEGER,
    NotCanonical,
    canonical_json,
    jcs,
)
from mash.audit.entries import prepare, prepare_entry
from mash.errors import InvalidDecision

MakeDecision = Callable[..., dict[str, Any]]

# RFC 8785 Appendix B: IEEE 754 bit patterns and their canonical spelling.
RFC_8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),  # minus zero
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


@pytest.mark.parametrize(("bits", "expected"), RFC_8785_NUMBERS)
def test_numbers_are_written_as_rfc_8785_says(bits: str, expected: str) -> None:
    """The package against the RFC's table; the log itself takes only the part of it within
    +-(2^53 - 1) (see test_what_rfc_8785_cannot_hold_is_refused...)."""
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert rfc8785.dumps(number) == expected.encode()
    if abs(number) <= MAX_SAFE_INTEGER:
        assert jcs(number) == expected.encode()


def test_rfc_8785_section_3_2_2_example() -> None:
    text = (
        '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],'
        ' "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",'
        ' "literals": [null, true, false]}'
    )
    expected = (
        '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
    )
    assert rfc8785.dumps(json.loads(text)) == expected.encode()


def test_keys_are_sorted_by_utf_16_code_units_as_rfc_8785_section_3_2_3_says() -> None:
    value = {
        "\u20ac": "Euro Sign",
        "\r": "Carriage Return",
        "\ufb33": "Hebrew Letter Dalet With Dagesh",
        "1": "One",
        "\U0001f600": "Emoji: Grinning Face",
        "\u0080": "Control",
        "\u00f6": "Latin Small Letter O With Diaeresis",
    }
    order = list(json.loads(jcs(value)))
    assert order == ["\r", "1", "\u0080", "\u00f6", "\u20ac", "\U0001f600", "\ufb33"]
    # Format 1 sorted by code point: the emoji (U+1F600) after the Hebrew letter (U+FB33).
    assert list(json.loads(canonical_json(value, FORMAT_1)))[-2:] == ["\ufb33", "\U0001f600"]


def test_the_two_formats_differ_exactly_where_python_spells_numbers_its_own_way() -> None:
    value = {"score": 1.0, "small": 1e-05, "big": 1e15, "minus_zero": -0.0, "n": 3, "f": 0.25}
    assert canonical_json(value, FORMAT_1) == (
        b'{"big":1000000000000000.0,"f":0.25,"minus_zero":-0.0,"n":3,"score":1.0,"small":1e-05}'
    )
    assert canonical_json(value, FORMAT_2) == (
        b'{"big":1000000000000000,"f":0.25,"minus_zero":0,"n":3,"score":1,"small":0.00001}'
    )
    with pytest.raises(ValueError, match="unknown canonical JSON format 3"):
        canonical_json(value, 3)


@pytest.mark.parametrize(
    ("value", "path", "why"),
    [
        ({"facts": {"n": 2**53}}, "facts.n", "number beyond"),
        ({"facts": {"n": -(2**53)}}, "facts.n", "number beyond"),
        ({"facts": {"n": 2**2000}}, "facts.n", "number beyond"),
        # JCS would write these as digits that parse back as integers beyond 2^53:
        ({"facts": {"x": [0.5, 2.0**68]}}, "facts.x[1]", "number beyond"),
        ({"facts": {"x": -1e300}}, "facts.x", "number beyond"),
        ({"rules": [{"x": float("nan")}]}, "rules[0].x", "NaN or infinite"),
        ({"x": [1, float("-inf")]}, "x[1]", "NaN or infinite"),
        ({"who": "Jane\ud800"}, "who", "lone surrogate"),
        ({"facts": {"Jane\udc00": 1}}, "facts", "key with a lone surrogate"),
        ({"facts": {1: "one"}}, "facts", "key that is not text"),
        ({"facts": {"s": {1, 2}}}, "facts.s", "is a set"),
    ],
)
def test_what_rfc_8785_cannot_hold_is_refused_by_field_never_by_value(
    value: dict[str, Any], path: str, why: str
) -> None:
    with pytest.raises(NotCanonical) as caught:
        jcs(value)
    assert caught.value.path == path and why in caught.value.why
    assert "Jane" not in str(caught.value) and "9007199254740992" not in str(caught.value)


def test_the_largest_safe_numbers_are_written_exactly() -> None:
    assert jcs([MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER]) == b"[9007199254740991,-9007199254740991]"
    assert jcs([float(MAX_SAFE_INTEGER), 5e-324]) == b"[9007199254740991,5e-324]"


def test_every_format_2_spelling_reads_back_to_the_same_spelling() -> None:
    """What verify relies on: parsing a sealed body and canonicalising it again is a no-op,
    for every double the log accepts (the refused range is what would break this)."""
    rng = random.Random(53)
    for _ in range(5000):
        (number,) = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))
        try:
            once = jcs({"x": [number, -number / 3]})
        except NotCanonical:
            assert not abs(number) <= MAX_SAFE_INTEGER  # NaN, infinity or too large
            continue
        assert jcs(json.loads(once)) == once


def test_a_decision_rfc_8785_cannot_hold_is_refused_naming_decision_and_field(
    make_decision: MakeDecision,
) -> None:
    for facts, field in (
        ({"household_size": 2**60}, "facts.household_size"),
        ({"note": "Jane\udfff"}, "facts.note"),
    ):
        with pytest.raises(InvalidDecision, match=f"decision dec-000004: {field}") as caught:
            prepare(make_decision(4, facts=facts))
        assert "Jane" not in str(caught.value) and str(2**60) not in str(caught.value)


def test_decisions_are_sealed_in_rfc_8785_and_read_back_as_equal_values(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(4, match_score=1.0, facts={"ratio": 1e-07, 3: "int key"})
    entry = prepare_entry(decision)
    assert b'"match_score":1,' in entry.body and b'"ratio":1e-7' in entry.body
    assert entry.body == jcs(json.loads(entry.body))
    back = prepare(decision)
    assert back["match_score"] == 1.0 and back["facts"] == {"ratio": 1e-07, "3": "int key"}
    assert entry.columns["match_score"] == 1.0 and isinstance(entry.columns["match_score"], float)
