"""The fast paths of :mod:`mash.domain.decision` give exactly what the plain formulations gave.

The input digest is part of every decision id, so its text must never drift: it is checked
here against the definition it was written from (``json.dumps`` of the positional field values
with a ``default`` hook), on referrals with every kind of value the model carries.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mash.domain import decision
from mash.domain.decision import input_digest, iso_utc
from mash.domain.referral import Adult, Child, Referral

RECEIVED = datetime(2026, 11, 24, 10, tzinfo=UTC)


def _hook(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return sorted(value)
    return tuple(getattr(value, f.name) for f in fields(value))


def reference_digest(referral: Referral) -> str:
    """The digest's definition: positional JSON of every field but ``received_at``."""
    values = tuple(getattr(referral, f.name) for f in fields(Referral) if f.name != "received_at")
    text = json.dumps(values, default=_hook, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def a_referral(**changes: object) -> Referral:
    base = Referral(
        agency="police",
        source_id="PPN-1",
        source_code="6",
        received_at=RECEIVED,
        children=(
            Child(
                0,
                "Zoë",
                "O'Brien",
                date(2020, 5, 14),
                "9990001006",
                postcode="TS19 7HX",
                present_at_incident=True,
                injured=False,
            ),
            Child(
                1,
                None,
                "Harper",
                None,
                unborn=True,
                expected_delivery_date=date(2027, 1, 30),
                mobile=False,
            ),
        ),
        occurred_at=datetime(2026, 11, 23, 22, 5, tzinfo=UTC),
        concern_codes=frozenset({"3C", "16A", "1B", "FII"}),
        health_indicators=frozenset({"PREGNANT"}),
        adults=(Adult("VICTIM", "Jade", "Ng", date(1990, 1, 2)), Adult("SUSPECT")),
        dash_risk="HIGH",
        dash_score=14,
        attendance_percent=0.00001,
        narrative='Café: \u2028 a line separator, "quotes" and \\ back-slashes.',
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"occurred_at": datetime(2026, 11, 23, 22, 5)},  # naive: taken as UTC
        {"occurred_at": datetime(2026, 11, 23, 22, 5, tzinfo=timezone(timedelta(hours=-5)))},
        {"occurred_at": None, "adults": (), "concern_codes": frozenset()},
        {"attendance_percent": float("nan"), "dash_score": None},
        {"children": (Child(0, "A", "B", date(2019, 1, 1)),) * 3},
    ],
)
def test_the_digest_is_its_definition(changes: dict[str, object]) -> None:
    referral = a_referral(**changes)
    assert input_digest(referral) == reference_digest(referral)


def test_iso_utc_of_an_ambiguous_local_time_follows_its_fold() -> None:
    # 01:30 on 25 Oct 2026 happens twice in London: BST (fold 0) then GMT (fold 1). The two
    # compare equal, so a cache keyed by equality must never serve one for the other.
    london = ZoneInfo("Europe/London")
    first = datetime(2026, 10, 25, 1, 30, tzinfo=london)
    second = first.replace(fold=1)
    assert iso_utc(first) == "2026-10-25T00:30:00Z"
    assert iso_utc(second) == "2026-10-25T01:30:00Z"
    assert iso_utc(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)) == "2026-10-25T00:30:00Z"
    assert iso_utc(datetime(2026, 10, 25, 0, 30, 0, 250)) == "2026-10-25T00:30:00.000250Z"


# --------------------------------------------------------------------------- digest fast path

TEXT = st.text(st.characters(codec="utf-8"), max_size=12)  # any code point but surrogates
AWKWARD_FLOATS = st.floats(allow_nan=True, allow_infinity=True)
ZONES = st.sampled_from([UTC, None, timezone(timedelta(hours=-5)), ZoneInfo("Europe/London")])


@st.composite
def referrals(draw: st.DrawFn) -> Referral:
    """Referrals with every kind of value the model carries, and values it should not (huge
    integers, NaN, tiny floats), which must fall back to the standard library's text."""
    day = st.dates(min_value=date(1, 1, 1))
    children = tuple(
        Child(
            index,
            draw(st.none() | TEXT),
            draw(st.none() | TEXT),
            draw(st.none() | day),
            draw(st.none() | TEXT),
            postcode=draw(st.none() | TEXT),
            unborn=draw(st.booleans()),
            expected_delivery_date=draw(st.none() | day),
            injured=draw(st.none() | st.booleans()),
        )
        for index in range(draw(st.integers(1, 3)))
    )
    occurred = draw(st.none() | st.datetimes(timezones=ZONES))
    return a_referral(
        children=children,
        occurred_at=occurred,
        concern_codes=frozenset(draw(st.lists(TEXT, max_size=4))),
        adults=tuple(
            Adult(draw(TEXT), draw(st.none() | TEXT), dob=draw(st.none() | day))
            for _ in range(draw(st.integers(0, 2)))
        ),
        dash_score=draw(st.none() | st.integers() | st.integers(-(2**70), 2**70)),
        attendance_percent=draw(st.none() | AWKWARD_FLOATS),
        narrative=draw(TEXT),
    )


@settings(max_examples=400, deadline=None)
@given(referral=referrals())
def test_the_fast_digest_is_the_definition_for_any_value(referral: Referral) -> None:
    assert input_digest(referral) == reference_digest(referral)


def test_an_ordinary_referral_takes_the_fast_path() -> None:
    # Otherwise a regression to the slow path would pass every other test unnoticed.
    values = decision._DIGESTED_VALUES(a_referral(attendance_percent=87.5))
    assert decision._fast_canonical_json(values).decode() == json.dumps(
        values, default=_hook, separators=(",", ":"), ensure_ascii=False
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"attendance_percent": None, "dash_score": -(2**63)},
        {"children": (Child(0, "A", "B", datetime(2020, 1, 1, 12, tzinfo=UTC)),)},
    ],
)
def test_ordinary_referrals_take_the_fast_path(changes: dict[str, object]) -> None:
    # Otherwise a regression to the slow path would pass every other test unnoticed.
    values = decision._DIGESTED_VALUES(a_referral(**{"attendance_percent": 87.5, **changes}))
    assert decision._fast_canonical_json(values).decode() == json.dumps(
        values, default=_hook, separators=(",", ":"), ensure_ascii=False
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"attendance_percent": 1e-05},  # orjson would write 0.00001
        {"attendance_percent": float("inf")},
        {"dash_score": 2**64},  # beyond orjson's integers
        {"concern_codes": frozenset({("3C",)})},  # not a leaf the model holds
        {"adults": [Adult("VICTIM")]},  # a list where the model has a tuple
    ],
)
def test_values_orjson_writes_differently_take_the_standard_librarys_text(
    changes: dict[str, object],
) -> None:
    referral = a_referral(**{"attendance_percent": 87.5, **changes})
    with pytest.raises((decision._NotPlain, orjson.JSONEncodeError)):
        decision._fast_canonical_json(decision._DIGESTED_VALUES(referral))
    assert input_digest(referral) == reference_digest(referral)


def test_a_lone_surrogate_still_fails_as_it_always_did() -> None:
    with pytest.raises(UnicodeEncodeError):
        input_digest(a_referral(narrative="\ud800"))
