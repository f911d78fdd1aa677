"""The router: one explained decision per child, deterministic on replay, never stalled by a
broken lookup or rule, and the public vignettes routed within their acceptable routes."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from datafiles import VIGNETTES

from mash.agencies import AGENCIES, to_referral
from mash.domain.clocks import FixedClock, WorkingCalendar, deadline_for
from mash.domain.decision import (
    FiredRule,
    Route,
    decision_to_dict,
    household_id,
    make_decision_id,
)
from mash.domain.narrative import NO_CONCERNS, NarrativeScan
from mash.domain.records import RECORD_KINDS, PersonRecord, RecordIndex, RecordKind
from mash.domain.referral import Child, Referral
from mash.domain.routing import ENGINE_ERROR_RULE, Router
from mash.errors import RuleError
from mash.records_files import load_records_dir
from mash.rules import load_rules

RECEIVED = datetime(2026, 11, 24, 10, tzinfo=UTC)  # a Tuesday
DECIDED = RECEIVED + timedelta(seconds=2)
CALENDAR = WorkingCalendar()
RANK = {"universal": 0, "caf": 1, "assessment": 2, "s47": 3}


@dataclass(frozen=True)
class FakeOutcome:
    level: int
    route: Route
    fired: tuple[FiredRule, ...]
    flags: tuple[str, ...]
    facts: dict[str, Any]


@dataclass
class FakeRules:
    """Level 4 for a child with concern 19C, else 2; flags what the facts say is missing.
    Stands in for the real engine where a test is about assembling, not about thresholds."""

    version: str = "fake-1"
    assessment_level: int = 3
    broken_for: set[int] = field(default_factory=set)

    def evaluate(self, facts: Mapping[str, Any]) -> FakeOutcome:
        if facts["age_months"] in self.broken_for:
            raise RuleError("rule l4.x could not be evaluated: Lily Harper")
        level = 4 if "19C" in facts["concerns"] else 2
        fired = (FiredRule(f"l{level}.fake", level, "Because.", {"concerns": facts["concerns"]}),)
        flags = ("CHECKS_INCOMPLETE",) if facts["checks_unavailable"] else ()
        route: Route = "s47" if level == 4 else "caf"
        return FakeOutcome(level, route, fired, flags, dict(facts))

    def read_narrative(self, text: str | None) -> NarrativeScan:
        return NO_CONCERNS


def all_loaded(*records: dict[str, Any], kind: RecordKind = "social-care") -> RecordIndex:
    index = RecordIndex()
    for each in RECORD_KINDS:
        index.load(each, records if each == kind else ())
    return index


def a_referral(**changes: Any) -> Referral:
    base = Referral(
        agency="police",
        source_id="PPN-1",
        source_code="6",
        received_at=RECEIVED,
        children=(
            Child(0, "Lily", "Harper", date(2020, 5, 14), "9990001006", postcode="TS19 0QX"),
            Child(1, "Noah", "Harper", date(2023, 1, 30), postcode="TS19 0QX"),
        ),
        concern_codes=frozenset({"3C"}),
        incident_type="DOMESTIC_ABUSE",
        dash_risk="HIGH",
        narrative="The officer's account of Lily Harper.",
    )
    return replace(base, **changes)


def router(rules: Any = None, lookup: Any = None) -> Router:
    return Router(
        rules or FakeRules(),
        lookup if lookup is not None else all_loaded(),
        CALENDAR,
        clock=FixedClock(DECIDED),
    )


def test_one_decision_per_child_in_order_sharing_a_household() -> None:
    decisions = router().decide(a_referral())

    assert [d.child_index for d in decisions] == [0, 1]
    assert {d.household_id for d in decisions} == {household_id("police", "PPN-1")}
    first = decisions[0]
    assert first.decision_id == make_decision_id("police", "PPN-1", 0, "fake-1", first.input_digest)
    assert (first.agency, first.source_id, first.source_code) == ("police", "PPN-1", "6")
    assert first.child_key == "nhs:9990001006"
    assert decisions[1].child_key.startswith("h:")
    assert (first.route, first.level) == ("caf", 2)
    assert [rule.id for rule in first.rules] == ["l2.fake"]
    assert first.rule_set_version == "fake-1"
    assert first.received_at == RECEIVED
    assert first.decided_at == DECIDED
    assert first.decided_by.startswith("mash-router@")
    assert first.deadline == deadline_for("caf", RECEIVED, CALENDAR)
    assert first.checks == dict.fromkeys(RECORD_KINDS, "NOT_FOUND")


def test_the_deadline_follows_the_route() -> None:
    (decision,) = router().decide(
        a_referral(concern_codes=frozenset({"19C"}), children=a_referral().children[:1])
    )

    assert decision.route == "s47"
    assert decision.deadline == datetime(2026, 11, 24, 17, tzinfo=UTC)


def test_a_replay_gives_identical_decisions() -> None:
    referral = a_referral()

    first = [decision_to_dict(d) for d in router().decide(referral, DECIDED)]
    again = [decision_to_dict(d) for d in router().decide(referral, DECIDED)]

    assert first == again


def test_decided_at_comes_from_the_caller_or_the_injected_clock() -> None:
    later = DECIDED + timedelta(hours=1)

    assert router().decide(a_referral(), later)[0].decided_at == later
    assert router().decide(a_referral())[0].decided_at == DECIDED


def test_a_failing_rule_engine_sends_that_child_to_assessment_flagged() -> None:
    rules = FakeRules(broken_for={45})  # Noah is 45 months old on the day received

    lily, noah = router(rules).decide(a_referral())

    assert lily.route == "caf" and "ENGINE_ERROR" not in lily.flags
    assert (noah.route, noah.level) == ("assessment", 3)
    assert "ENGINE_ERROR" in noah.flags
    assert [rule.id for rule in noah.rules] == [ENGINE_ERROR_RULE]
    assert noah.rules[0].evidence == {"error": "RuleError"}
    assert "Lily" not in json.dumps(decision_to_dict(noah))
    assert noah.deadline == deadline_for("assessment", RECEIVED, CALENDAR)


def test_a_failing_rule_engine_is_logged_with_ids_only(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="mash.domain.routing")

    router(FakeRules(broken_for={45})).decide(a_referral())

    (record,) = caplog.records
    assert "RuleError" in record.getMessage() and "PPN-1" in record.getMessage()
    assert "child 1" in record.getMessage()
    assert "Noah" not in record.getMessage() and "Harper" not in record.getMessage()


@dataclass
class UnreadableNarrative(FakeRules):
    def read_narrative(self, text: str | None) -> NarrativeScan:
        raise ValueError(f"cannot read {text}")


def test_a_failing_narrative_scan_decides_on_the_fields_and_logs_ids_only(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.ERROR, logger="mash.domain.routing")
    referral = replace(a_referral(), narrative="Noah Harper was hurt")

    decisions = router(UnreadableNarrative()).decide(referral)

    assert [d.child_index for d in decisions] == [0, 1]
    assert all(d.facts["narrative_concerns"] == [] for d in decisions)
    (record,) = caplog.records
    assert "ValueError" in record.getMessage() and "PPN-1" in record.getMessage()
    assert "Noah" not in record.getMessage() and "hurt" not in record.getMessage()


class BrokenStore:
    def available(self, kind: RecordKind) -> bool:
        return kind != "health"

    def candidates(self, kind: RecordKind, child: Child) -> list[PersonRecord]:
        raise TimeoutError("store down")


def test_a_failing_lookup_is_unavailable_and_flagged_but_the_child_is_decided() -> None:
    decisions = router(lookup=BrokenStore()).decide(a_referral())

    assert len(decisions) == 2
    assert decisions[0].checks == dict.fromkeys(RECORD_KINDS, "UNAVAILABLE")
    assert decisions[0].check_details["police"]["reason"] == "lookup failed (TimeoutError)"
    assert decisions[0].check_details["health"]["reason"] == "records not loaded"
    assert "CHECKS_INCOMPLETE" in decisions[0].flags


def test_a_possible_match_is_flagged_identity_uncertain_with_its_score() -> None:
    index = all_loaded(
        {
            "person_id": "SC-9",
            "forenames": "Noah",
            "surname": "Harper",
            "dob": "2023-01-30",
            "postcode": "TS19 9ZZ",
            "updated_at": "2026-11-01T00:00:00Z",
            "status": "CP_PLAN",
            "referrals_12m": 0,
        }
    )

    lily, noah = router(lookup=index).decide(a_referral())

    assert "IDENTITY_UNCERTAIN" not in lily.flags and lily.match == "NONE"
    assert "IDENTITY_UNCERTAIN" in noah.flags
    assert noah.match == "POSSIBLE" and 0 < noah.match_score < 1
    assert noah.checks["social-care"] == "FOUND"
    assert noah.check_details["social-care"]["person_id"] == "SC-9"


def test_data_a_person_must_look_at_is_flagged() -> None:
    children = (Child(0, "Lily", "Harper", date(2020, 5, 14), "9990001007"),)

    (decision,) = router().decide(
        a_referral(children=children, concern_codes=frozenset({"3C", "ZZ9"}))
    )

    assert "INVALID_NHS_NUMBER" in decision.flags
    assert "UNKNOWN_CONCERN_CODES" in decision.flags
    assert decision.child_key.startswith("h:")


def test_no_personal_data_in_the_decision_outside_the_child_key() -> None:
    referral = a_referral()

    for decision in router().decide(referral):
        text = json.dumps(decision_to_dict(decision))
        for personal in ("Lily", "Harper", "Noah", "2020-05-14", "TS19", "officer's account"):
            assert personal not in text


# --------------------------------------------------------------------------- real rules


@pytest.fixture(scope="module")
def default_rules() -> Any:
    return load_rules()


def test_the_real_rule_set_decides_through_the_router(default_rules: Any) -> None:
    decisions = router(default_rules).decide(a_referral(marac_referral=True))

    assert [d.route for d in decisions] == ["s47", "s47"]
    assert all(d.rule_set_version == default_rules.version for d in decisions)
    assert all(d.rules and all(rule.reason for rule in d.rules) for d in decisions)
    assert decisions[0].facts["dash_risk"] == "HIGH"


def test_with_the_real_rules_missing_records_never_leave_a_child_at_caf(
    default_rules: Any,
) -> None:
    referral = to_referral(
        "council",
        {
            "request_ref": "REQ-1",
            "service": "SCHOOL",
            "child": {"first_name": "Jack", "last_name": "Moss", "date_of_birth": "2013-10-05"},
            "concern_codes": ["7A"],
            "disclosure_by_child": False,
            "family_consent": True,
            "support_requested": "EARLY_HELP",
            "description": "",
        },
        RECEIVED,
    )

    (complete,) = router(default_rules).decide(referral)
    (incomplete,) = router(default_rules, RecordIndex()).decide(referral)

    assert complete.route == "caf"
    assert incomplete.route == "assessment"
    assert "CHECKS_INCOMPLETE" in incomplete.flags


# --------------------------------------------------------------------------- vignettes


def vignette_routes(rules: Any, index: RecordIndex) -> dict[tuple[str, str, int], str]:
    routed = Router(rules, index, CALENDAR, clock=FixedClock(DECIDED))
    routes: dict[tuple[str, str, int], str] = {}
    for agency in AGENCIES:
        for line in (VIGNETTES / f"{agency}.jsonl").read_text().splitlines():
            if line.strip():
                for decision in routed.decide(to_referral(agency, json.loads(line), RECEIVED)):
                    routes[(agency, decision.source_id, decision.child_index)] = decision.route
    return routes


def expected_vignettes() -> list[dict[str, Any]]:
    lines = (VIGNETTES / "expected.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_every_vignette_child_is_routed_to_an_acceptable_route(default_rules: Any) -> None:
    index, report = load_records_dir(VIGNETTES / "records")
    assert not report.missing and not report.errors
    routes = vignette_routes(default_rules, index)
    expected = expected_vignettes()

    assert len(routes) == len(expected)
    wrong = {
        (e["agency"], e["source_id"], e["child_index"]): (
            routes.get((e["agency"], e["source_id"], e["child_index"])),
            e["acceptable"],
        )
        for e in expected
        if routes.get((e["agency"], e["source_id"], e["child_index"])) not in e["acceptable"]
    }
    assert wrong == {}


@pytest.mark.parametrize("missing", RECORD_KINDS)
def test_an_unavailable_check_never_lowers_a_vignettes_route(
    default_rules: Any, missing: RecordKind
) -> None:
    index, _ = load_records_dir(VIGNETTES / "records")
    baseline = vignette_routes(default_rules, index)
    index.mark_available(missing, False)

    degraded = vignette_routes(default_rules, index)

    lowered = {
        key: (baseline[key], route)
        for key, route in degraded.items()
        if RANK[route] < RANK[baseline[key]]
    }
    assert lowered == {}


def test_a_corrected_referral_under_the_same_id_is_a_new_decision_and_a_replay_is_not() -> None:
    original = router().decide(a_referral())[0]
    replayed = router().decide(a_referral())[0]
    corrected = router().decide(a_referral(narrative="Corrected account."))[0]

    assert replayed.decision_id == original.decision_id
    assert corrected.decision_id != original.decision_id
