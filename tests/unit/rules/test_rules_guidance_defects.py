"""The routing-safety defects found on referrals written from published guidance: each one here
failed on the rules shipped before (routed lower than the guidance allows, or not routed at
all) and must now reach at least the route the guidance gives.

Each referral goes the whole offline way (the agency's JSON form, the agency mapping, the
router, the shipped rules) with every agency's records checked and nobody found, so the
indicator alone carries the route.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from mash.agencies import to_referral
from mash.domain.decision import Decision
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.routing import Router
from mash.domain.thresholds import ROUTE_RANK
from mash.rules import load_rules

RECEIVED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
RULES = load_rules()


def decide(agency: str, record: dict[str, Any]) -> list[Decision]:
    index = RecordIndex()
    for kind in RECORD_KINDS:
        index.mark_available(kind)  # checked, nobody found: every check NOT_FOUND
    decisions = Router(RULES, index).decide(to_referral(agency, record, RECEIVED), RECEIVED)
    assert all(set(d.checks.values()) == {"NOT_FOUND"} for d in decisions if not d.facts["unborn"])
    return decisions


def at_least(decision: Decision, route: str) -> bool:
    return ROUTE_RANK[decision.route] >= ROUTE_RANK[route]


def health(**fields: Any) -> dict[str, Any]:
    patient = {"givenName": "Test", "familyName": "Child", "birthDate": fields.pop("dob")}
    return {
        "referralId": "NHS-T-1",
        "odsCode": "RVW",
        "setting": fields.pop("setting", "GP"),
        "patient": patient,
        "consent": "GIVEN",
        "clinicalNarrative": "",
        **fields,
    }


def council(**fields: Any) -> dict[str, Any]:
    child = {"first_name": "Test", "last_name": "Child", "date_of_birth": fields.pop("dob")}
    return {
        "request_ref": "REQ-T-1",
        "service": fields.pop("service", "SCHOOL"),
        "child": child,
        "disclosure_by_child": False,
        "family_consent": True,
        "support_requested": fields.pop("support_requested", "EARLY_HELP"),
        "description": "",
        **fields,
    }


def police(children: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    return {
        "ppn_id": "PPN-T-1",
        "force_code": "CLE",
        "incident_at": "2026-11-25T22:00:00Z",
        "incident_type": fields.pop("incident_type", "DOMESTIC_ABUSE"),
        "dash_risk": fields.pop("dash_risk", "STANDARD"),
        "children": children,
        "adults": [{"role": "VICTIM", "forenames": "Test", "surname": "Parent"}],
        "non_fatal_strangulation": fields.pop("non_fatal_strangulation", False),
        "weapon_used": False,
        "victim_pregnant": fields.pop("victim_pregnant", False),
        "marac_referral": False,
        "narrative": "",
        **fields,
    }


def kid(dob: str, **fields: Any) -> dict[str, Any]:
    return {"forenames": "Test", "surname": "Child", "dob": dob, **fields}


# --------------------------------------------------------------------------- injuries


def test_a_fracture_at_ten_months_with_mobility_not_recorded_is_s47() -> None:
    # NICE CG89; a baby under one whose mobility is unknown is treated as not yet mobile.
    injury = {"present": True, "kind": "FRACTURE", "explanationConsistent": True}
    [decision] = decide("health", health(dob="2026-01-20", injury=injury))
    assert decision.route == "s47"
    assert "l4.pre-mobile-injury" in {rule.id for rule in decision.rules}


def test_a_bruise_at_four_months_recorded_as_mobile_is_s47() -> None:
    # Pre-mobile protocols (Durham, Bedford): every baby under six months, whatever the flag.
    injury = {"present": True, "kind": "BRUISE", "explanationConsistent": True}
    [decision] = decide("health", health(dob="2026-07-20", injury=injury, childIsMobile=True))
    assert decision.route == "s47"


def test_any_injury_under_two_is_at_least_an_assessment() -> None:
    injury = {"present": True, "kind": "BURN", "explanationConsistent": True}
    [decision] = decide("health", health(dob="2025-06-01", injury=injury, childIsMobile=True))
    assert at_least(decision, "assessment")


def test_a_school_can_report_an_injury_and_a_bruised_ear_at_three_is_s47() -> None:
    injury = {"kind": "BRUISE", "site": "EARS", "explanation_consistent": True}
    [decision] = decide("council", council(dob="2023-05-02", service="SCHOOL", injury=injury))
    assert decision.route == "s47"
    assert "l4.bruising-sentinel-site-under-4" in {rule.id for rule in decision.rules}


# --------------------------------------------------------------------------- police


def test_a_notification_whose_only_child_is_unborn_is_routed() -> None:
    decisions = decide("police", police([], victim_pregnant=True, dash_risk="MEDIUM"))
    assert len(decisions) == 1 and decisions[0].facts["unborn"]
    assert at_least(decisions[0], "assessment")


def test_medium_risk_strangulation_with_a_three_year_old_present_is_s47() -> None:
    child = kid("2023-06-01", present_at_incident=True, injured=False)
    [decision] = decide("police", police([child], dash_risk="MEDIUM", non_fatal_strangulation=True))
    assert decision.route == "s47"
    assert "l4.da-life-threatening-violence" in {rule.id for rule in decision.rules}


def test_the_officers_count_of_previous_incidents_is_read() -> None:
    child = kid("2015-06-01", present_at_incident=False, injured=False)
    [decision] = decide("police", police([child], previous_incidents_12m=5))
    assert decision.facts["repeat_incidents_12m"] == 5
    assert at_least(decision, "assessment")


def test_unknown_presence_is_not_read_as_absence() -> None:
    unknown = kid("2015-06-01", injured=False)  # present_at_incident not recorded
    away = kid("2015-06-01", present_at_incident=False, injured=False)
    [not_known] = decide("police", police([unknown], dash_risk="MEDIUM"))
    [not_there] = decide("police", police([away], dash_risk="MEDIUM"))
    assert ROUTE_RANK[not_known.route] >= ROUTE_RANK[not_there.route]
    assert not_known.route == "assessment"


def test_online_harm_is_more_than_early_help_and_sexual_online_harm_is_s47() -> None:
    child = kid("2012-03-01", present_at_incident=False, injured=False)
    [plain] = decide("police", police([child], incident_type="ONLINE_HARM"))
    assert plain.route == "assessment"
    [sexual] = decide("police", police([child], incident_type="ONLINE_HARM", concern_codes=["11A"]))
    assert sexual.route == "s47"


# --------------------------------------------------------------------------- parents and child


@pytest.mark.parametrize(
    "fields",
    [
        {"concernCodes": ["4B"], "childInParentDelusions": True},
        {"concernCodes": ["2B"], "careSeriouslyAffected": True, "soleCarer": True},
    ],
)
def test_a_parents_illness_or_drug_use_can_be_level_4(fields: dict[str, Any]) -> None:
    [decision] = decide("health", health(dob="2019-02-01", **fields))
    assert decision.route == "s47"


def test_a_childs_suicidal_plans_are_level_4() -> None:
    [decision] = decide(
        "health", health(dob="2011-02-01", setting="CAMHS", concernCodes=["4A"], suicidalPlans=True)
    )
    assert decision.route == "s47"


# --------------------------------------------------------------------------- step-down


def test_a_request_for_an_assessment_routed_lower_is_flagged_for_a_manager() -> None:
    [decision] = decide("council", council(dob="2016-02-01", support_requested="ASSESSMENT"))
    assert decision.route == "caf"  # the rules' route stands: a proposal
    assert "STEP_DOWN:assessment" in decision.flags


def test_a_request_the_rules_meet_is_not_a_step_down() -> None:
    [decision] = decide(
        "council", council(dob="2016-02-01", support_requested="ASSESSMENT", concern_codes=["16A"])
    )
    assert decision.route == "assessment"
    assert not any(flag.startswith("STEP_DOWN") for flag in decision.flags)


def test_advice_is_never_a_step_down() -> None:
    [decision] = decide("council", council(dob="2016-02-01", support_requested="ADVICE"))
    assert not any(flag.startswith("STEP_DOWN") for flag in decision.flags)


# --------------------------------------------------------------------------- citations


def test_no_assessment_or_s47_rule_cites_a_top_level_shared_scale_as_level_3() -> None:
    # Hampshire's and Kent's top level covers s17 and s47 together: their level 3 is early help.
    wrong = [
        rule.id
        for rule in RULES.rules
        if rule.level >= 3
        and any(f"{name} level 3" in rule.guidance for name in ("Hampshire", "Kent"))
    ]
    assert wrong == []


# --------------------------------------------------------------------------- the narrative


def test_strangulation_only_in_a_health_referrals_narrative_is_weighed() -> None:
    record = health(
        dob="2023-04-01",
        setting="HEALTH_VISITOR",
        concernCodes=["3B"],
        clinicalNarrative="Mother says her partner put his hands round her neck last night.",
    )
    [decision] = decide("health", record)
    assert decision.facts["strangulation"] is True
    assert "NARRATIVE_CONCERN:strangulation" in decision.flags
    assert decision.route == "s47"


def test_a_negated_narrative_raises_nothing() -> None:
    record = health(dob="2016-04-01", clinicalNarrative="No injuries seen and no concerns raised.")
    [decision] = decide("health", record)
    assert decision.facts["narrative_concerns"] == []
    assert decision.route == "universal"


def test_the_narrative_never_lowers_what_the_fields_say() -> None:
    injury = {"present": True, "kind": "BRUISE", "explanationConsistent": True}
    calm = health(dob="2026-08-01", injury=injury, clinicalNarrative="No concerns at all.")
    [decision] = decide("health", calm)
    assert decision.route == "s47"
