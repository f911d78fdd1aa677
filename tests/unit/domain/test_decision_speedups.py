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

import pytest

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
            Child(0, "Zoë", "O'Brien", date(2020, 5, 14), "9990001006", postcode="TS19 7HX",
                  present_at_incident=True, injured=False),
            Child(1, None, "Harper", None, unborn=True,
                  expected_delivery_date=date(2027, 1, 30), mobile=False),
        ),
        occurred_at=datetime(2026, 11, 23, 22, 5, tzinfo=UTC),
        concern_codes=frozenset({"3C", "16A", "1B", "FII"}),
        health_indicators=frozenset({"PREGNANT"}),
        adults=(Adult("VICTIM", "Jade", "Ng", date(1990, 1, 2)), Adult("SUSPECT")),
        dash_risk="HIGH",
        dash_score=14,
        attendance_percent=0.00001,
        narrative="Café: \u2028 a line separator, \"quotes\" and \\ back-slashes.",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize("changes", [
    {},
    {"occurred_at": datetime(2026, 11, 23, 22, 5)},  # naive: taken as UTC
    {"occurred_at": datetime(2026, 11, 23, 22, 5, tzinfo=timezone(timedelta(hours=-5)))},
    {"occurred_at": None, "adults": (), "concern_codes": frozenset()},
    {"attendance_percent": float("nan"), "dash_score": None},
    {"children": (Child(0, "A", "B", date(2019, 1, 1)),) * 3},
])
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
