"""JSON form <-> Avro form, and validation that names the field path but never the value."""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from mash.avro.registry import Registry
from mash.errors import SchemaError

REGISTRY = Registry.default()


def _police() -> dict[str, Any]:
    return copy.deepcopy(REGISTRY.examples("police", 3)[0])


def _health() -> dict[str, Any]:
    return copy.deepcopy(REGISTRY.examples("health")[0])


def test_from_json_turns_iso_strings_into_dates_and_aware_times() -> None:
    record = REGISTRY.from_json("police", _police())
    assert record["incident_at"] == datetime(2026, 11, 23, 22, 40, tzinfo=UTC)
    assert record["children"][0]["dob"] == date(2020, 5, 14)
    assert record["adults"][1]["dob"] is None  # absent in the JSON, default null


def test_a_time_with_an_offset_keeps_its_instant_and_a_naive_one_is_utc() -> None:
    obj = _police()
    obj["incident_at"] = "2026-07-01T10:00:00+01:00"
    assert REGISTRY.from_json("police", obj)["incident_at"] == datetime(2026, 7, 1, 9, tzinfo=UTC)
    obj["incident_at"] = "2026-07-01T10:00:00"
    assert REGISTRY.from_json("police", obj)["incident_at"] == datetime(2026, 7, 1, 10, tzinfo=UTC)


def test_missing_optional_fields_get_their_defaults() -> None:
    obj = _health()
    for name in ("injury", "childIsMobile", "referredAt", "concernCodes"):
        del obj[name]
    record = REGISTRY.from_json("health", obj)
    assert record["injury"] is None
    assert record["childIsMobile"] is None
    assert record["referredAt"] is None
    assert record["concernCodes"] == []


def test_defaults_are_not_shared_between_records() -> None:
    obj = _health()
    del obj["concernCodes"]
    first = REGISTRY.from_json("health", obj)
    first["concernCodes"].append("3A")
    assert REGISTRY.from_json("health", obj)["concernCodes"] == []


def test_to_json_gives_back_the_json_form() -> None:
    obj = _police()
    obj["adults"][1]["dob"] = None  # to_json writes every field, defaults included
    assert REGISTRY.to_json("police", REGISTRY.from_json("police", obj)) == obj


def test_to_json_writes_times_in_utc_with_z() -> None:
    record = REGISTRY.from_json("records.health", REGISTRY.examples("records.health")[0])
    record["updated_at"] = datetime(
        2026, 7, 1, 10, 0, 0, 250000, tzinfo=timezone(timedelta(hours=1))
    )
    assert REGISTRY.to_json("records.health", record)["updated_at"] == "2026-07-01T09:00:00.250000Z"


def test_bytes_travel_as_base64_in_json_form() -> None:
    obj = REGISTRY.examples("deadletter")[0]
    record = REGISTRY.from_json("deadletter", obj)
    assert record["value"] == b"\x00\x00\x00\x03\xe7\x01"
    assert REGISTRY.to_json("deadletter", record)["value"] == obj["value"]


SECRET = "Zebedee"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda o: o["children"][1].update(dob=SECRET), r"children\[1\]\.dob: expected a date"),
        (
            lambda o: o["children"][0].pop("surname"),
            r"children\[0\]\.surname: missing \(required\)",
        ),
        (lambda o: o.update(incident_type=SECRET), "incident_type: not a symbol of IncidentType"),
        (lambda o: o.update(dash_score="fourteen"), "dash_score: expected an int"),
        (lambda o: o.update(dash_score=True), "dash_score: expected an int"),
        (lambda o: o.update(dash_score=2**40), "dash_score: an int out of range"),
        (lambda o: o.update(marac_referral="yes"), "marac_referral: expected true or false"),
        (lambda o: o.update(incident_at=SECRET), "incident_at: expected an ISO-8601 date-time"),
        (lambda o: o.update(children=SECRET), "children: expected an array"),
        (lambda o: o.update(concern_codes=[SECRET, 3]), r"concern_codes\[1\]: expected a string"),
        (
            lambda o: o["adults"][0].update(nickname=SECRET),
            r"adults\[0\]: unknown field 'nickname'",
        ),
        (lambda o: o.update({SECRET + " !": 1}), "an unknown field"),
    ],
)
def test_from_json_names_the_path_and_never_the_value(change: Any, message: str) -> None:
    obj = _police()
    change(obj)
    with pytest.raises(SchemaError, match=message) as caught:
        REGISTRY.from_json("police", obj)
    assert SECRET not in str(caught.value)
    assert str(caught.value).startswith("police v3: ")


def test_a_v2_field_is_unknown_to_v1() -> None:
    with pytest.raises(SchemaError, match="police v1: unknown field 'dash_score'"):
        REGISTRY.from_json("police", {**REGISTRY.examples("police", 1)[0], "dash_score": 3}, 1)


def test_a_number_is_accepted_for_a_double_but_not_text() -> None:
    obj = copy.deepcopy(REGISTRY.examples("council")[0])
    obj["attendance_percent"] = 90
    assert REGISTRY.from_json("council", obj)["attendance_percent"] == 90.0
    obj["attendance_percent"] = "90%"
    with pytest.raises(SchemaError, match="attendance_percent: expected a number"):
        REGISTRY.from_json("council", obj)


def test_validate_wants_avro_form() -> None:
    record = REGISTRY.from_json("police", _police())
    REGISTRY.validate("police", record)
    record["children"][0]["dob"] = "2020-05-14"  # JSON form is not Avro form
    with pytest.raises(SchemaError, match=r"police v3: children\[0\]\.dob: expected a date$"):
        REGISTRY.validate("police", record)


def test_validate_refuses_a_datetime_where_a_date_belongs() -> None:
    record = REGISTRY.from_json("records.social-care", REGISTRY.examples("records.social-care")[0])
    record["dob"] = datetime(2020, 5, 14, tzinfo=UTC)
    with pytest.raises(SchemaError, match="dob: expected a date"):
        REGISTRY.validate("records.social-care", record)


def test_from_json_accepts_already_converted_values() -> None:
    record = REGISTRY.from_json("police", _police())
    assert REGISTRY.from_json("police", record) == record
