"""What the log accepts: validation, narrative stripping, columns, staff override events."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from mash.audit.canonical import canonical_json
from mash.audit.entries import (
    CONFIRM_REASON,
    OverrideEvent,
    columns_of,
    override_entry,
    prepare,
    prepare_entry,
    unique_by_id,
)
from mash.errors import InvalidDecision

MakeDecision = Callable[..., dict[str, Any]]


def test_a_valid_decision_comes_back_unchanged(make_decision: MakeDecision) -> None:
    decision = make_decision(3)
    assert prepare(decision) == decision


def test_narratives_are_stripped_wherever_they_are_nested(make_decision: MakeDecision) -> None:
    decision = make_decision(
        1,
        narrative="Top-level free text",
        facts={"age_months": 4, "clinicalNarrative": "x", "nested": [{"narrative": "y", "k": 1}]},
        check_details={"police": {"incident_narrative": "z", "open_marac": True}},
        rules=[{"id": "r1", "level": 4, "reason": "why", "evidence": {"description": "w"}}],
    )
    prepared = prepare(decision)
    assert "narrative" not in prepared
    assert prepared["facts"] == {"age_months": 4, "nested": [{"k": 1}]}
    assert prepared["check_details"] == {"police": {"open_marac": True}}
    assert prepared["rules"][0]["evidence"] == {}
    assert decision["narrative"] == "Top-level free text"  # the caller's dict is not modified


def test_times_and_tuples_become_json_values(make_decision: MakeDecision) -> None:
    bst = timezone(timedelta(hours=1))
    prepared = prepare(
        make_decision(2, decided_at=datetime(2026, 6, 1, 10, 0, tzinfo=bst), flags=("A", "B"))
    )
    assert prepared["decided_at"] == "2026-06-01T09:00:00.000000Z"
    assert prepared["flags"] == ["A", "B"]


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"decision_id": ""}, "without a decision_id"),
        ({"decision_id": "x" * 201}, "longer than"),
        ({"kind": "guess"}, "kind must be one of"),
        ({"route": "prison"}, "route must be one of"),
        ({"route": None}, "route must be one of"),
        ({"decided_by": " "}, "decided_by is required"),
        ({"decided_at": "yesterday"}, "decided_at is not an ISO-8601 time"),
        ({"decided_at": "2026-05-20T09:00:00"}, "decided_at has no time zone"),
        ({"deadline": 17}, "deadline is missing or not a time"),
        ({"level": "4"}, "level must be a whole number"),
        ({"child_index": True}, "child_index must be a whole number"),
        ({"match_score": "high"}, "match_score must be a number"),
        ({"rules": [{"reason": "no id"}]}, "every rule needs an id"),
        ({"kind": "override", "supersedes": "dec-1"}, "reason is required"),
        ({"kind": "override", "reason": "because"}, "supersedes is required"),
        (
            {"kind": "override", "supersedes": "dec-000007", "reason": "r"},
            "cannot supersede itself",
        ),
    ],
)
def test_invalid_decisions_are_refused_naming_the_id_not_the_content(
    make_decision: MakeDecision, changes: dict[str, Any], complaint: str
) -> None:
    decision = make_decision(7, facts={"secret": "Jane Doe"}, **changes)
    with pytest.raises(InvalidDecision, match=complaint) as caught:
        prepare(decision)
    assert "Jane" not in str(caught.value)
    assert "prison" not in str(caught.value)


def test_an_override_with_its_reason_is_accepted(make_decision: MakeDecision) -> None:
    override = make_decision(
        8, kind="override", supersedes="dec-000001", reason="Father's new conviction"
    )
    assert prepare(override)["supersedes"] == "dec-000001"


def test_columns_are_derived_from_the_decision(make_decision: MakeDecision) -> None:
    decision = make_decision(
        5, rules=[{"id": "a", "level": 3, "reason": "r"}, {"id": "b_c", "level": 2, "reason": "s"}]
    )
    columns = columns_of(prepare(decision))
    assert columns["rule_ids"] == "|a|b_c|"
    assert columns["flags"] == "|CHECKS_INCOMPLETE|"
    assert columns["decided_at"] == datetime(2026, 5, 6, 9, 0, 1, 250000, tzinfo=UTC)
    assert columns["deadline"] == datetime(2026, 5, 6, 17, 0, tzinfo=UTC)
    assert columns["route"] == decision["route"]
    assert columns_of(prepare(make_decision(4, rules=[], flags=[])))["rule_ids"] == ""


def test_duplicates_in_one_batch_keep_the_first(make_decision: MakeDecision) -> None:
    batch = [prepare_entry(d) for d in (make_decision(1), make_decision(1, route="s47"))]
    other = prepare_entry(make_decision(2))
    assert unique_by_id([*batch, other]) == [batch[0], other]


def test_a_prepared_entry_carries_its_canonical_bytes_and_columns(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(9, flags=("A",), facts={"narrative": "x", "age_months": 3})
    decision.pop("kind")
    entry = prepare_entry(decision)
    assert entry.decision_id == "dec-000009"
    assert entry.body == canonical_json(prepare(decision))
    assert json.loads(entry.body)["kind"] == "decision"  # the default is sealed, too
    assert b"narrative" not in entry.body
    assert entry.columns == columns_of(prepare(decision))


def event(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "event_id": "evt-1",
        "decision_id": "dec-000001",
        "action": "OVERRIDE",
        "route": "s47",
        "reason": "New information from the school this morning.",
        "actor": "sw.jones",
        "at": datetime(2026, 5, 20, 11, 0, tzinfo=UTC),
    }
    base.update(changes)
    return base


def test_an_override_event_supersedes_the_decision(make_decision: MakeDecision) -> None:
    superseded = make_decision(1)
    entry = override_entry(OverrideEvent.from_mapping(event()), superseded)
    assert entry is not None
    assert entry["decision_id"] == "evt-1"
    assert entry["kind"] == "override"
    assert entry["action"] == "OVERRIDE"
    assert entry["supersedes"] == "dec-000001"
    assert entry["route"] == "s47" != superseded["route"]
    assert entry["level"] is None  # a person chose the route, not a level
    assert entry["decided_by"] == "sw.jones"
    assert entry["decided_at"] == "2026-05-20T11:00:00.000000Z"
    assert entry["child_key"] == superseded["child_key"]
    assert entry["source_id"] == superseded["source_id"]
    assert entry["rules"] == []


def test_a_confirmation_keeps_the_route_and_gets_a_stated_reason(
    make_decision: MakeDecision,
) -> None:
    superseded = make_decision(2)
    confirm = OverrideEvent.from_mapping(event(action="CONFIRM", route=None, reason=None))
    entry = override_entry(confirm, superseded)
    assert entry is not None
    assert entry["route"] == superseded["route"]
    assert entry["level"] == superseded["level"]
    assert entry["reason"] == CONFIRM_REASON


@pytest.mark.parametrize(
    "changes", [{"action": "CONFIRM", "route": None, "reason": None}, {"action": "OVERRIDE"}]
)
def test_a_staff_event_is_never_logged_without_its_decision(changes: dict[str, Any]) -> None:
    # Sealed without the decision, a confirmation would keep an empty route for ever: the
    # sink holds the event until the decision is logged, and refuses it if it never is.
    staff_event = OverrideEvent.from_mapping(event(**changes))
    with pytest.raises(InvalidDecision, match="evt-1: decision dec-000001 is not in the log"):
        override_entry(staff_event, None)


def test_a_claim_is_an_action_entry_about_its_decision(make_decision: MakeDecision) -> None:
    claim = OverrideEvent.from_mapping(event(action="CLAIM", route=None, reason=None))
    entry = override_entry(claim, make_decision(1))
    assert (entry["kind"], entry["action"], entry["subject"]) == ("action", "CLAIM", "dec-000001")
    assert entry.get("supersedes") is None and entry["route"] is None
    assert columns_of(entry)["supersedes"] is None  # an action never replaces the decision


def test_a_step_down_is_logged_as_a_request_until_a_manager_approves(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(1)  # route assessment
    request = override_entry(OverrideEvent.from_mapping(event(route="caf")), decision)
    assert (request["kind"], request["route"]) == ("action", "caf")
    assert "needs a team manager's approval" in request["awaiting_approval"]
    approval = event(event_id="evt-2", action="APPROVE", route="caf", reason=None, actor="tm.cho")
    entry = override_entry(OverrideEvent.from_mapping(approval), decision)
    assert (entry["kind"], entry["route"], entry["supersedes"], entry["decided_by"]) == (
        "override",
        "caf",
        "dec-000001",
        "tm.cho",
    )


def test_a_transfer_is_an_action_naming_its_destination(make_decision: MakeDecision) -> None:
    moved = event(action="TRANSFER", route="assessment", reason=None)
    moved.update(destination="ASSESSMENT_TEAM")
    entry = override_entry(OverrideEvent.from_mapping(moved), make_decision(1))
    assert (entry["kind"], entry["destination"], entry["route"]) == (
        "action",
        "ASSESSMENT_TEAM",
        "assessment",
    )
    assert entry.get("awaiting_approval") is None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"reason": None}, "OVERRIDE needs route and reason"),
        ({"reason": "   "}, "OVERRIDE needs route and reason"),
        ({"route": None}, "OVERRIDE needs route and reason"),
    ],
)
def test_an_override_without_route_or_reason_is_refused(
    changes: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(InvalidDecision, match=complaint):
        override_entry(OverrideEvent.from_mapping(event(**changes)), None)


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"event_id": None}, "without an event_id"),
        ({"action": "UNKNOWN"}, "unknown action"),
        ({"actor": ""}, "actor is required"),
        ({"decision_id": None}, "decision_id is required"),
        ({"at": "soon"}, "at is not an ISO-8601 time"),
    ],
)
def test_malformed_override_events_are_refused(changes: dict[str, Any], complaint: str) -> None:
    with pytest.raises(InvalidDecision, match=complaint):
        OverrideEvent.from_mapping(event(**changes))


@pytest.mark.parametrize("value", [float("nan"), {1, 2}, object()])
def test_values_that_are_not_json_are_refused(make_decision: MakeDecision, value: Any) -> None:
    with pytest.raises(InvalidDecision, match="dec-000004: a decision holds a value that is not"):
        prepare(make_decision(4, facts={"x": value}))


def test_other_mappings_and_dates_are_written_as_json(make_decision: MakeDecision) -> None:
    from datetime import date
    from types import MappingProxyType

    prepared = prepare(
        make_decision(6, facts=MappingProxyType({"born": date(2020, 2, 29), "n": (1, 2)}))
    )
    assert prepared["facts"] == {"born": "2020-02-29", "n": [1, 2]}
