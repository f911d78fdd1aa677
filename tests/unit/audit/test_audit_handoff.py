"""Outcomes and referrers' feedback are built from logged hand-offs, and fit their schemas."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from mash.audit.entries import OverrideEvent, override_entry
from mash.audit.handoff import feedback_of, outcome_of
from mash.avro import Registry

MakeDecision = Callable[..., dict[str, Any]]
AT = datetime(2026, 5, 20, 11, 0, tzinfo=UTC)


def _entry(decision: dict[str, Any], action: str, **fields: Any) -> dict[str, Any]:
    event = {"event_id": f"ev-{action}", "decision_id": decision["decision_id"], "action": action}
    event.update(actor="sw.jones", at=AT, route=decision["route"])
    event.update(fields)
    return dict(override_entry(OverrideEvent.from_mapping(event), decision))


def test_a_transfer_is_an_outcome_and_feedback_that_round_trip_their_schemas(
    make_decision: MakeDecision,
) -> None:
    decision = make_decision(1)
    outcome = outcome_of(_entry(decision, "TRANSFER", destination="ASSESSMENT_TEAM"))
    assert outcome is not None
    assert (outcome["outcome"], outcome["decision_id"], outcome["destination"]) == (
        "TRANSFERRED",
        decision["decision_id"],
        "ASSESSMENT_TEAM",
    )
    registry = Registry.default()
    read = registry.decode(registry.encode("outcome", outcome), "outcome")
    assert read["outcome_id"] == "ev-TRANSFER" and read["at"] == AT
    feedback = feedback_of(outcome)
    assert "Transferred to the assessment team" in feedback["summary"]
    back = registry.decode(registry.encode("feedback", feedback), "feedback")
    assert back["source_id"] == decision["source_id"]
    assert "sw.jones" not in str(back)  # the referrer hears what, not who


@pytest.mark.parametrize(
    ("action", "fields", "is_outcome"),
    [
        ("CLAIM", {"route": None}, False),
        ("CONFIRM", {}, False),
        ("CLOSE", {"close_reason": "NO_FURTHER_ACTION", "reason": "Needs met"}, False),
        ("CLOSE", {"close_reason": "SIGNPOSTED", "reason": "Leaflet", "route": "universal"}, True),
        ("APPROVE", {"close_reason": "NO_FURTHER_ACTION"}, True),
    ],
)
def test_only_a_close_that_took_effect_is_an_outcome(
    make_decision: MakeDecision, action: str, fields: dict[str, Any], is_outcome: bool
) -> None:
    decision = make_decision(1)
    entry = _entry(decision, action, **fields)
    assert (outcome_of(entry) is not None) is is_outcome
