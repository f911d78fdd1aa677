"""``mash route`` writes each decision with orjson, byte for byte as the standard library's
encoder would (the output format must not depend on which encoder ran)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mash.rules.offline import encode_decision_line

STDLIB = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":")).encode


def a_decision(**facts: Any) -> dict[str, Any]:
    return {
        "decision_id": "d-1",
        "match_score": 0.9767,
        "rules": [
            {
                "id": "l3.x",
                "level": 3,
                "reason": 'Café ünïcode \u2028 "q" \\',
                "evidence": {"age_months": 7, "concerns": ["3A", "16A"]},
            }
        ],
        "check_details": {"police": {"score": 0.0, "person_id": None}},
        "flags": [],
        "facts": {"attendance_percent": 87.5, "dash_score": -1, "unborn": False, **facts},
        "supersedes": None,
    }


@pytest.mark.parametrize("value", [87.5, -1.0, 0.0, 100.0, 1e-4, 99.99999, 1e16, 123456789.125])
def test_ordinary_floats_are_written_as_the_stdlib_writes_them(value: float) -> None:
    decision = a_decision(attendance_percent=value)
    assert encode_decision_line(decision) == STDLIB(decision)


@pytest.mark.parametrize("value", [1e-05, 3.7e-06, -8e-09, float("nan"), float("inf")])
def test_floats_orjson_writes_differently_fall_back_to_the_stdlib(value: float) -> None:
    decision = a_decision(attendance_percent=value)
    assert encode_decision_line(decision) == STDLIB(decision)


def test_what_json_cannot_hold_still_fails_as_before() -> None:
    from datetime import UTC, datetime

    for bad in ({"a"}, datetime(2026, 1, 1, tzinfo=UTC)):
        decision = a_decision(odd=bad)
        with pytest.raises(TypeError):
            STDLIB(decision)
        with pytest.raises(TypeError):
            encode_decision_line(decision)
