"""Cross-agency records: typed from JSON or Avro form, indexed with compacted-topic semantics,
looked up by identifier and blocking key."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from mash.domain.records import RECORD_KINDS, PersonRecord, RecordIndex, record_from_mapping
from mash.domain.referral import Child
from mash.errors import InvalidRecord, UsageError
from mash.records_files import load_records_dir

UPDATED = "2026-11-20T09:00:00Z"


def row(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "person_id": "SC-1",
        "nhs_number": "999 000 1030",
        "forenames": " Oliver ",
        "surname": "Shaw",
        "dob": "2019-03-08",
        "postcode": "ts20 1lb",
        "updated_at": UPDATED,
        "status": "CP_PLAN",
        "referrals_12m": 2,
        "last_s47_date": "2026-01-05",
    }
    base.update(changes)
    return base


def a_child(**changes: Any) -> Child:
    base = Child(
        index=0, forenames="Oliver", surname="Shaw", dob=date(2019, 3, 8), postcode="TS20 1LB"
    )
    return replace(base, **changes)


def test_a_social_care_record_is_typed_and_normalised() -> None:
    record = record_from_mapping("social-care", row())

    assert record.kind == "social-care" and record.person_id == "SC-1"
    assert (record.forenames, record.surname) == ("Oliver", "Shaw")
    assert record.nhs_number == "9990001030"
    assert record.postcode == "TS20 1LB"
    assert record.dob == date(2019, 3, 8)
    assert record.updated_at == datetime(2026, 11, 20, 9, tzinfo=UTC)
    assert record.attributes == {
        "status": "CP_PLAN",
        "referrals_12m": 2,
        "last_s47_date": date(2026, 1, 5),
    }


def test_the_avro_form_gives_the_same_record() -> None:
    avro = row(
        dob=date(2019, 3, 8),
        updated_at=datetime(2026, 11, 20, 9, tzinfo=UTC),
        last_s47_date=date(2026, 1, 5),
    )

    assert record_from_mapping("social-care", avro) == record_from_mapping("social-care", row())


@pytest.mark.parametrize(
    ("kind", "fields", "attributes"),
    [
        (
            "early-help",
            {"open_episode": True, "lead_professional": "A Worker"},
            {"open_episode": True, "lead_professional": "A Worker"},
        ),
        (
            "police",
            {"domestic_incidents_12m": 3, "open_marac": False, "household_risk_to_children": True},
            {"domestic_incidents_12m": 3, "open_marac": False, "household_risk_to_children": True},
        ),
        (
            "health",
            {"cpis_flag": "unborn_cp_plan", "ed_attendances_12m": 1},
            {"cpis_flag": "UNBORN_CP_PLAN", "ed_attendances_12m": 1},
        ),
    ],
)
def test_each_kind_keeps_its_own_typed_fields_and_nothing_else(
    kind: str, fields: dict[str, Any], attributes: dict[str, Any]
) -> None:
    base = {
        key: value
        for key, value in row().items()
        if key not in ("status", "referrals_12m", "last_s47_date")
    }
    record = record_from_mapping(kind, {**base, **fields, "notes": "free text"})

    assert record.attributes == attributes


def test_a_missing_attribute_is_absent_not_defaulted() -> None:
    record = record_from_mapping("social-care", row(status=None, referrals_12m=None))

    assert "status" not in record.attributes and "referrals_12m" not in record.attributes


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"person_id": None}, "social-care record without person_id"),
        ({"updated_at": None}, "SC-1: updated_at is missing"),
        ({"updated_at": "yesterday"}, "SC-1: updated_at is not an ISO-8601 date-time"),
        ({"status": "ON_A_PLAN"}, "SC-1: status is not one of the allowed values"),
        ({"referrals_12m": "two"}, "SC-1: referrals_12m is not a whole number"),
        ({"dob": "08/03/2019"}, "SC-1: dob is not an ISO-8601 date"),
    ],
)
def test_bad_records_name_the_person_id_and_field_not_the_value(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidRecord) as raised:
        record_from_mapping("social-care", row(**changes))

    assert problem in str(raised.value)
    assert "Oliver" not in str(raised.value) and "08/03/2019" not in str(raised.value)


def test_an_unknown_kind_is_rejected() -> None:
    with pytest.raises(InvalidRecord, match="unknown record kind 'education'"):
        record_from_mapping("education", row())


# --------------------------------------------------------------------------- index


def loaded(*rows: dict[str, Any], kind: str = "social-care") -> RecordIndex:
    index = RecordIndex()
    index.load(kind, rows)  # type: ignore[arg-type]
    return index


def ids(records: list[PersonRecord]) -> list[str]:
    return [record.person_id for record in records]


def test_a_kind_is_unavailable_until_loaded() -> None:
    index = RecordIndex()
    assert not any(index.available(kind) for kind in RECORD_KINDS)

    index.load("police", [])

    assert index.available("police") and not index.available("health")


def test_a_bad_row_leaves_the_kind_unavailable() -> None:
    index = RecordIndex()

    with pytest.raises(InvalidRecord):
        index.load("social-care", [row(), row(person_id="SC-2", updated_at=None)])

    assert not index.available("social-care")


def test_the_latest_update_wins_and_a_late_older_one_is_ignored() -> None:
    index = loaded(row(status="OPEN_CIN"))
    newer = record_from_mapping(
        "social-care", row(updated_at="2026-11-21T09:00:00Z", status="CP_PLAN", postcode="M1 1AE")
    )
    older = record_from_mapping(
        "social-care", row(updated_at="2026-11-19T09:00:00Z", status="CLOSED")
    )

    assert index.put(newer) is True
    assert index.put(older) is False
    held = index.get("social-care", "SC-1")
    assert held is not None and held.attributes["status"] == "CP_PLAN"
    # The old district no longer finds the person; the new one does (a surname that does not
    # sound alike, so only the district block can find them).
    assert ids(index.candidates("social-care", a_child(surname="Robson"))) == []
    assert ids(index.candidates("social-care", a_child(surname="Robson", postcode="M1 1AE"))) == [
        "SC-1"
    ]


def test_a_tombstone_removes_the_person_from_every_lookup() -> None:
    index = loaded(row())

    assert index.remove("social-care", "SC-1") is True
    assert index.remove("social-care", "SC-1") is False
    assert index.count("social-care") == 0
    assert index.candidates("social-care", a_child(nhs_number="9990001030")) == []


def test_candidates_by_nhs_number_anywhere() -> None:
    index = loaded(row(postcode="M1 1AE", dob="2010-01-01", surname="Other"))

    assert ids(index.candidates("social-care", a_child(nhs_number="9990001030"))) == ["SC-1"]


def test_candidates_by_upn() -> None:
    index = loaded(row(upn="A123456789012", nhs_number=None, dob=None))

    assert ids(index.candidates("social-care", a_child(upn="A123456789012"))) == ["SC-1"]


def test_candidates_by_birthday_and_district_or_by_birthday_and_sounding_surname() -> None:
    index = loaded(
        row(person_id="SC-1", nhs_number=None, postcode="TS20 9ZZ", surname="Robson"),
        row(person_id="SC-2", nhs_number=None, postcode="M1 1AE", surname="Shawe"),
        row(person_id="SC-3", nhs_number=None, postcode="TS20 1LB", dob="2019-03-09"),
    )

    found = ids(index.candidates("social-care", a_child()))

    assert found == ["SC-1", "SC-2"]  # same district; sounds alike; never another birthday


def test_each_candidate_once_in_a_stable_order() -> None:
    index = loaded(row(person_id="SC-2"), row(person_id="SC-1"))

    found = ids(index.candidates("social-care", a_child(nhs_number="9990001030")))

    assert found == ["SC-2", "SC-1"]


def test_kinds_are_separate() -> None:
    index = loaded(row())

    assert index.candidates("police", a_child(nhs_number="9990001030")) == []
    assert len(index) == 1


# --------------------------------------------------------------------------- files


def write(directory: Path, kind: str, *rows: dict[str, Any] | str) -> None:
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    (directory / f"{kind}.jsonl").write_text("\n".join(lines) + "\n")


def test_a_records_directory_loads_what_is_there(tmp_path: Path) -> None:
    write(tmp_path, "social-care", row(), "", row(person_id="SC-2"))
    write(
        tmp_path,
        "police",
        {
            **{
                k: v
                for k, v in row().items()
                if k not in ("status", "referrals_12m", "last_s47_date")
            },
            "domestic_incidents_12m": 3,
        },
    )

    index, report = load_records_dir(tmp_path)

    assert report.counts == {"social-care": 2, "police": 1}
    assert report.missing == ["early-help", "health"]
    assert index.available("social-care") and index.available("police")
    assert not index.available("health")


def test_a_bad_line_names_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "social-care", row(), "{not json")

    with pytest.raises(InvalidRecord, match=r"social-care.jsonl:2: not valid JSON"):
        load_records_dir(tmp_path)


def test_not_strict_keeps_going_and_leaves_the_bad_kind_unavailable(tmp_path: Path) -> None:
    write(tmp_path, "social-care", row(), row(person_id="SC-2", status="MAYBE"))
    write(
        tmp_path,
        "health",
        {
            **{
                k: v
                for k, v in row().items()
                if k not in ("status", "referrals_12m", "last_s47_date")
            },
            "cpis_flag": "NONE",
        },
    )

    index, report = load_records_dir(tmp_path, strict=False)

    assert report.failed == ["social-care"]
    assert "social-care.jsonl:2" in report.errors[0] and "SC-2" in report.errors[0]
    assert report.available == ["health"]
    assert not index.available("social-care") and index.available("health")


def test_a_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        load_records_dir(tmp_path / "nope")


def test_an_unknown_kind_is_refused_by_every_lookup() -> None:
    index = RecordIndex()
    child = Child(0, "Ann", "Lee", None)
    with pytest.raises(InvalidRecord, match="unknown record kind 'education'"):
        index.available("education")  # type: ignore[arg-type]
    with pytest.raises(InvalidRecord, match="unknown record kind 'education'"):
        index.candidates("education", child)  # type: ignore[arg-type]
