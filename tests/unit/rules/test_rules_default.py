"""Every rule of the default rule set fires where its guidance says, and not just beside it.

The table holds, per rule, a child it must fire for and a near miss it must not fire for (the
boundary the guidance draws: one month older, one code different, the guard false). A rule
added to default.yaml without a row here fails ``test_every_rule_is_in_the_table``.
"""

from __future__ import annotations

from typing import Any

import pytest

from mash.domain.codes import CONCERN_CODES, HEALTH_INDICATORS
from mash.domain.facts import default_facts
from mash.domain.thresholds import RuleSet
from mash.rules import load_rules

RULES: RuleSet = load_rules()

AVAILABLE = {
    "social_care_available": True,
    "early_help_available": True,
    "police_available": True,
    "health_available": True,
}
SCHOOL_AGE = {"dob_known": True, "age_months": 100, "age_years": 8}
BABY = {"dob_known": True, "age_months": 3, "age_years": 0, "pre_mobile": True}
DA = {
    "agency": "police",
    "source_code": "6",
    "incident_type": "DOMESTIC_ABUSE",
    "domestic_abuse": True,
    "concerns": ["3C"],
    "presence_known": True,  # recorded as not present unless a case says otherwise
}
AGE_UNKNOWN = {"dob_known": False, "age_months": -1, "age_years": -1}
UNBORN = {"unborn": True, "dob_known": False, "age_months": 0, "age_years": 0, "under_seven": True}


def child(**changes: Any) -> dict[str, Any]:
    """An eight-year-old, every agency checked, nothing known; then ``changes``."""
    facts = default_facts()
    facts.update(agency="council", source_code="2A", consent="GIVEN", **AVAILABLE, **SCHOOL_AGE)
    facts.update(changes)
    return facts


def age(months: int) -> dict[str, Any]:
    return {
        "dob_known": True,
        "age_months": months,
        "age_years": months // 12,
        "under_seven": months < 84,
    }


def pregnant(years: int) -> dict[str, Any]:
    return {"health_indicators": ["PREGNANT"], **age(years * 12 + 3)}


def injury(kind: str = "BRUISE", consistent: bool = False) -> dict[str, Any]:
    return {
        "injury_present": True,
        "injury_kind": kind,
        "injury_explanation_consistent": consistent,
    }


def codes(*values: str) -> dict[str, Any]:
    return {"concerns": sorted(values)}


def indicators(*values: str) -> dict[str, Any]:
    return {"health_indicators": sorted(values)}


def site(
    where: str, months: int = 30, kind: str = "BRUISE", consistent: bool = True
) -> dict[str, Any]:
    return {**age(months), **injury(kind, consistent), "injury_site": where}


def told(*categories: str) -> dict[str, Any]:
    return {"narrative_concerns": sorted(categories)}


# rule id -> (children it fires for, near misses it must not fire for)
TABLE: dict[str, tuple[list[dict[str, Any]], list[dict[str, Any]]]] = {
    # level 4
    "l4.sexual-abuse": (
        [codes("19C"), codes("19B"), told("sexual_harm")],
        [codes("18C"), codes("17A"), told("weapon")],
    ),
    "l4.disclosure-of-abuse": (
        [
            {"disclosure": True, **codes("18B")},
            {"disclosure": True, **codes("19C")},
            {"disclosure": True, **codes("17A")},
        ],
        [{"disclosure": True, **codes("7A")}, codes("18B"), {"disclosure": True, **codes("16A")}],
    ),
    "l4.physical-abuse-injury": (
        [{**codes("18B"), **injury()}],
        [codes("18B"), {**codes("17A"), **injury()}],
    ),
    "l4.pre-mobile-injury": (
        [
            {**BABY, **injury(consistent=True)},
            {**age(10), "pre_mobile": True, **injury("BURN", True)},
        ],
        [{**age(10), **injury(consistent=True)}, BABY],
    ),
    "l4.unexplained-serious-injury-under-2": (
        [
            {**age(18), **injury("FRACTURE")},
            {**age(-1), "dob_known": False, **injury("HEAD_INJURY")},
        ],
        [
            {**age(18), **injury("FRACTURE", True)},
            {**age(30), **injury("FRACTURE")},
            {**age(18), **injury("BRUISE")},
        ],
    ),
    "l4.fgm": ([codes("22A")], [codes("20")]),
    "l4.trafficking": ([codes("12A")], [codes("13A")]),
    "l4.sexual-exploitation": ([codes("11A")], [codes("10A")]),
    "l4.criminal-exploitation": ([codes("24A")], [codes("14A")]),
    "l4.exploitation-incident": (
        [{"incident_type": "CHILD_EXPLOITATION"}],
        [{"incident_type": "CHILD_CONCERN"}],
    ),
    "l4.missing-and-exploited": (
        [codes("10A", "24A"), {"incident_type": "MISSING_PERSON", **codes("13A")}],
        [codes("10A"), codes("24A")],
    ),
    "l4.under-13-pregnancy": ([pregnant(12)], [pregnant(13)]),
    "l4.pregnancy-age-unknown": (
        [{**indicators("PREGNANT"), "dob_known": False, "age_months": -1, "age_years": -1}],
        [pregnant(15), {"dob_known": False, "age_months": -1}],
    ),
    "l4.household-risk-to-children": (
        [{"police_household_risk_to_children": True}, {"adult_posing_risk": True}],
        [{"police_open_marac": True}],
    ),
    "l4.high-risk-domestic-abuse": (
        [
            {**DA, "dash_risk": "HIGH"},
            {**DA, "dash_risk": "MEDIUM", "dash_scored": True, "dash_score": 14},
            {**DA, "dash_risk": "STANDARD", "marac_referral": True},
            {**DA, "dash_risk": "STANDARD", "police_open_marac": True},
        ],
        [
            {**DA, "dash_risk": "MEDIUM", "dash_scored": True, "dash_score": 13},
            {"dash_risk": "HIGH"},
        ],
    ),
    "l4.domestic-abuse-child-injured": (
        [{**DA, "dash_risk": "STANDARD", "child_injured": True}],
        [{**DA, "dash_risk": "STANDARD", **injury()}],
    ),
    "l4.pregnant-victim": (
        [
            {**DA, "victim_pregnant": True},
            {**DA, "dash_risk": "STANDARD", "victim_pregnant": True},
            {**DA, "dash_risk": "STANDARD", **age(11)},
            {
                **DA,
                "agency": "health",
                "unborn": True,
                "dob_known": False,
                "age_months": 0,
                "age_years": 0,
            },
        ],
        [{**DA, "dash_risk": "STANDARD", **age(12)}, {"victim_pregnant": True}, {**UNBORN}],
    ),
    "l4.da-screening-high": (
        [{**DA, **BABY, "dash_risk": "MEDIUM", "present_at_incident": True, "separation": True}],
        [{**DA, **BABY, "dash_risk": "STANDARD", "present_at_incident": True}],
    ),
    "l4.bruising-sentinel-site-under-4": (
        [site("EARS"), site("TORSO", 10, consistent=False), site("FRENULUM", 47)],
        [site("EARS", 48), site("LEGS"), site("TORSO", kind="BURN")],
    ),
    "l4.patterned-injury": (
        [{**site("ARMS", 36), "injury_patterned": True}],
        [site("ARMS", 36, consistent=False)],
    ),
    "l4.older-partner": (
        [{"older_partner": True, **age(170)}, {"older_partner": True, **AGE_UNKNOWN}],
        [{"older_partner": True, **age(216)}, {"sexually_active": True, **age(170)}],
    ),
    "l4.life-threatening-neglect": (
        [{"life_threatening_neglect": True}],
        [indicators("CHRONIC_CONDITION_UNTREATED", "MISSED_APPOINTMENTS")],
    ),
    "l4.faltering-growth-neglect": (
        [{**indicators("FAILURE_TO_THRIVE"), **codes("16A")}],
        [indicators("FAILURE_TO_THRIVE"), codes("16A"), indicators("FAILURE_TO_THRIVE", "16A")],
    ),
    "l4.child-not-seen": (
        [{"child_not_seen": True}],
        [{"attendance_known": True, "attendance_percent": 0.0}],
    ),
    "l4.genital-injury": (
        [site("GENITALS", 100, "OTHER", consistent=False)],
        [site("GENITALS", 100, "OTHER"), site("LEGS", 100, consistent=False)],
    ),
    "l4.sexual-activity-under-13": (
        [
            {"sexually_active": True, **age(155)},
            {"sexually_transmitted_infection": True, **age(100)},
        ],
        [{"sexually_active": True, **age(156)}, {"sexually_active": True, **AGE_UNKNOWN}],
    ),
    "l4.sti-age-unknown": (
        [{"sexually_transmitted_infection": True, **AGE_UNKNOWN}],
        [{"sexually_transmitted_infection": True, **age(200)}, {"sexually_active": True}],
    ),
    "l4.harmful-sexual-behaviour": (
        [{"sexual_behaviour": "ABUSIVE"}, {"sexual_behaviour": "VIOLENT"}],
        [{"sexual_behaviour": "PROBLEMATIC"}],
    ),
    "l4.child-in-parent-delusions": (
        [{"child_in_parent_delusions": True}],
        [{"care_seriously_affected": True, **codes("4B")}],
    ),
    "l4.care-seriously-affected-sole-carer": (
        [{"care_seriously_affected": True, "sole_carer": True}],
        [{"care_seriously_affected": True}, {"sole_carer": True, **codes("2B")}],
    ),
    "l4.suicidal-plans": ([{"suicidal_plans": True}], [codes("4A"), codes("15A")]),
    "l4.police-protection": ([{"police_protection": True}], [{"found_alone": True}]),
    "l4.young-child-alone": (
        [
            {"found_alone": True, **age(40)},
            {**told("left_alone"), **AGE_UNKNOWN},
            {"found_alone": True, **age(143)},
        ],
        [{"found_alone": True, **age(144)}, {**told("left_alone"), **age(150)}],
    ),
    "l4.unborn-sibling-removed": (
        [{**UNBORN, "sibling_removed": True}],
        [{"sibling_removed": True}, {**UNBORN, "sibling_on_plan": True}],
    ),
    "l4.da-life-threatening-violence": (
        [
            {**DA, **age(36), "strangulation": True},
            {**DA, "weapon": True, "present_at_incident": True},
            {**DA, "threats_to_kill": True, "presence_known": False},
            {**DA, "strangulation": True, "disability": True},
        ],
        [{**DA, "weapon": True}, {**age(36), "strangulation": True}],
    ),
    "l4.da-threats-to-children": (
        [{**DA, "threats_to_children": True}],
        [{"threats_to_children": True}, {**DA, "stalking": True}],
    ),
    "l4.online-sexual-harm": (
        [
            {"incident_type": "ONLINE_HARM", **age(150), **told("sexual_harm")},
            {"incident_type": "ONLINE_HARM", **age(170), **codes("11A")},
            {"incident_type": "ONLINE_HARM", **age(100)},
        ],
        [{"incident_type": "ONLINE_HARM", **age(170)}, {**codes("ONLINE_RISK"), **age(100)}],
    ),
    "l4.fabricated-or-induced-illness": ([codes("FII")], [codes("6A")]),
    "l4.forced-marriage": ([codes("FORCED_MARRIAGE")], [codes("HONOUR_BASED_ABUSE")]),
    "l4.honour-based-abuse": ([codes("HONOUR_BASED_ABUSE")], [codes("FORCED_MARRIAGE")]),
    # level 3
    "l3.known-cp-or-looked-after": (
        [
            {"social_care_status": "CP_PLAN"},
            {"social_care_status": "LOOKED_AFTER"},
            {"health_cpis_flag": "UNBORN_CP_PLAN"},
        ],
        [{"social_care_status": "OPEN_CIN"}, {"health_cpis_flag": "NOT_RECORDED"}],
    ),
    "l3.open-child-in-need": (
        [{"social_care_status": "OPEN_CIN"}],
        [{"social_care_status": "CLOSED"}],
    ),
    "l3.domestic-abuse-escalation": (
        [{**DA, "repeat_incidents_12m": 3}],
        [{**DA, "repeat_incidents_12m": 2}, {"repeat_incidents_12m": 5}],
    ),
    "l3.domestic-abuse-medium-child-present": (
        [
            {**DA, "dash_risk": "MEDIUM", "present_at_incident": True},
            {**DA, "dash_risk": "MEDIUM", "presence_known": False},
        ],
        [
            {**DA, "dash_risk": "MEDIUM"},
            {**DA, "dash_risk": "STANDARD", "present_at_incident": True},
        ],
    ),
    "l3.da-screening-raised": (
        [{**DA, "dash_risk": "MEDIUM", "present_at_incident": True}],
        [{**DA, "dash_risk": "STANDARD", "present_at_incident": True}],
    ),
    "l3.open-marac-household": ([{"police_open_marac": True}], [{**DA, "police_open_marac": True}]),
    "l3.da-serious-harm-markers": (
        [{**DA, "stalking": True}, {**DA, "strangulation": True}, {**DA, "sexual_violence": True}],
        [{"stalking": True}, {**DA, "separation": True}],
    ),
    "l3.care-seriously-affected": ([{"care_seriously_affected": True}], [codes("4B")]),
    "l3.injury-under-2": (
        [{**age(10), **injury("FRACTURE", True)}, {**age(23), **injury("BRUISE", True)}],
        [{**age(24), **injury("BRUISE", True)}, {**injury(consistent=True), **AGE_UNKNOWN}],
    ),
    "l3.family-homeless": ([{"family_homeless": True}], [codes("4B")]),
    "l3.community-harm": ([{"community_harm": True}], [codes("14A")]),
    "l3.disabled-child-assessment-requested": (
        [
            {"disability": True, "support_requested": "ASSESSMENT"},
            {"disability": True, "support_requested": "STRATEGY_DISCUSSION"},
        ],
        [
            {"disability": True, "support_requested": "EARLY_HELP"},
            {"support_requested": "ASSESSMENT"},
        ],
    ),
    "l3.online-harm": ([{"incident_type": "ONLINE_HARM"}], [codes("ONLINE_RISK")]),
    "l3.sti-under-16": (
        [{"sexually_transmitted_infection": True, **age(14 * 12)}],
        [
            {"sexually_transmitted_infection": True, **age(16 * 12)},
            {"sexually_active": True, **age(14 * 12)},
        ],
    ),
    "l3.problematic-sexual-behaviour": (
        [{"sexual_behaviour": "PROBLEMATIC"}],
        [{"sexual_behaviour": "INAPPROPRIATE"}],
    ),
    "l3.regular-substance-use": (
        [{"substance_use": "REGULAR"}, {"substance_use": "DAILY"}],
        [{"substance_use": "OCCASIONAL"}],
    ),
    "l3.sibling-on-plan-or-removed": (
        [{"sibling_on_plan": True}, {"sibling_removed": True}],
        [{"social_care_status": "CLOSED"}],
    ),
    "l3.child-alone": ([{"found_alone": True}, told("left_alone")], [told("weapon")]),
    "l3.narrative-concern": (
        [{**told("delusion"), "narrative_level": 3}, {**told("injury"), "narrative_level": 3}],
        [{**told("suicide"), "narrative_level": 4}, told()],
    ),
    "l2.narrative-concern": (
        [{**told("perplexing_presentation"), "narrative_level": 2}],
        [{**told("delusion"), "narrative_level": 3}, told()],
    ),
    "l4.narrative-concern": (
        [
            {**told("suicide"), "narrative_level": 4},
            {**told("child_in_delusion"), "narrative_level": 4},
        ],
        [{**told("delusion"), "narrative_level": 3}],
    ),
    "l3.toxic-trio": (
        [{**DA, **codes("3C", "2B")}, codes("1C", "4B")],
        [codes("2B"), {**DA, **codes("3C", "4A")}],
    ),
    "l3.parental-substance-misuse-baby": (
        [
            {**codes("2B"), **BABY},
            {**codes("1B"), "unborn": True, "dob_known": False, "age_months": 0, "age_years": 0},
        ],
        [{**codes("2B"), **age(12)}, {**codes("2A"), **BABY}],
    ),
    "l3.substance-exposure": (
        [indicators("SUBSTANCE_EXPOSURE")],
        [indicators("MISSED_APPOINTMENTS")],
    ),
    "l3.under-18-pregnancy-substance-use": (
        [{**pregnant(16), **codes("2A")}, {**pregnant(17), **codes("1A")}],
        [pregnant(16), {**pregnant(16), **codes("2B")}],
    ),
    "l3.under-16-pregnancy": ([pregnant(14)], [pregnant(16), pregnant(12)]),
    "l3.untreated-chronic-condition": (
        [indicators("CHRONIC_CONDITION_UNTREATED", "MISSED_APPOINTMENTS")],
        [indicators("CHRONIC_CONDITION_UNTREATED")],
    ),
    "l3.failure-to-thrive": (
        [indicators("FAILURE_TO_THRIVE")],
        [indicators("DEVELOPMENTAL_DELAY")],
    ),
    "l3.neglect": ([codes("16A")], [codes("17A")]),
    "l3.emotional-abuse": ([codes("17A")], [codes("16A")]),
    "l3.physical-abuse-concern": ([codes("18C")], [codes("19C")]),
    "l3.unexplained-injury": ([injury()], [injury(consistent=True), {**BABY, **injury()}]),
    "l3.injury-age-and-mobility-unknown": (
        [{**injury(consistent=True), "dob_known": False, "age_months": -1, "age_years": -1}],
        [
            injury(consistent=True),
            {**injury(), "dob_known": False, "age_months": -1, "mobility_known": True},
        ],
    ),
    "l3.disclosure": ([{"disclosure": True}], [codes("19C")]),
    "l3.missing": (
        [codes("10A"), {"incident_type": "MISSING_PERSON"}],
        [codes("9A"), {"incident_type": "OTHER"}],
    ),
    "l3.gangs": ([codes("13A")], [codes("14A")]),
    "l3.self-harm": ([codes("15A"), indicators("SELF_HARM")], [codes("4A")]),
    "l3.faith-linked-abuse": ([codes("23A")], [codes("22A")]),
    "l3.unaccompanied-asylum-seeking-child": ([codes("9A")], [codes("10A")]),
    "l3.private-fostering": ([codes("8B"), codes("8F")], [codes("9A")]),
    "l3.radicalisation": ([codes("RADICALISATION")], [codes("ONLINE_RISK")]),
    "l3.homeless-16-17": ([{**codes("HOMELESS"), **age(200)}], [age(200)]),
    "l3.repeat-referrals": ([{"social_care_referrals_12m": 3}], [{"social_care_referrals_12m": 2}]),
    "l3.recent-s47": (
        [{"social_care_s47_known": True, "social_care_last_s47_months": 11}],
        [
            {"social_care_s47_known": True, "social_care_last_s47_months": 12},
            {"social_care_s47_known": False},
        ],
    ),
    "l3.severe-absence": (
        [{"attendance_known": True, "attendance_percent": 49.5}],
        [{"attendance_known": True, "attendance_percent": 50.0}, {"attendance_known": False}],
    ),
    # level 2
    "l2.domestic-abuse": ([DA, {**codes("3A"), "domestic_abuse": True}], [codes("4B")]),
    "l2.missed-immunisations": (
        [indicators("MISSED_IMMUNISATIONS")],
        [indicators("MISSED_APPOINTMENTS")],
    ),
    "l2.developmental-delay": (
        [indicators("DEVELOPMENTAL_DELAY")],
        [indicators("FAILURE_TO_THRIVE")],
    ),
    "l2.missed-appointments": (
        [indicators("MISSED_APPOINTMENTS")],
        [indicators("MISSED_IMMUNISATIONS")],
    ),
    "l2.chronic-condition-untreated": (
        [indicators("CHRONIC_CONDITION_UNTREATED")],
        [indicators("MISSED_APPOINTMENTS")],
    ),
    "l2.young-carer": ([codes("7A")], [codes("6B")]),
    "l2.attendance": (
        [{"attendance_known": True, "attendance_percent": 89.9}],
        [{"attendance_known": True, "attendance_percent": 90.0}, {"attendance_known": False}],
    ),
    "l2.parental-substance-misuse": ([codes("1B"), codes("2C")], [codes("1A")]),
    "l2.parental-mental-health": ([codes("4B"), codes("4C")], [codes("4A")]),
    "l2.child-substance-misuse": (
        [codes("1A"), codes("2A"), {"substance_use": "EXPERIMENTAL"}],
        [codes("2B"), {"substance_use": "NONE"}],
    ),
    "l2.child-mental-health": ([codes("4A")], [codes("4B")]),
    "l2.disability": ([codes("5A"), codes("6C")], [codes("7A")]),
    "l2.antisocial-behaviour": ([codes("14A")], [codes("13A")]),
    "l2.online-risk": (
        [codes("ONLINE_RISK")],
        [codes("RADICALISATION"), {"incident_type": "ONLINE_HARM"}],
    ),
    "l2.inappropriate-sexual-behaviour": (
        [{"sexual_behaviour": "INAPPROPRIATE"}],
        [{"sexual_behaviour": "NORMAL"}],
    ),
    "l2.sexually-active-under-16": (
        [{"sexually_active": True, **age(14 * 12)}],
        [{"sexually_active": True, **age(16 * 12)}],
    ),
    "l2.disabled-child": ([{"disability": True}], [codes("7A")]),
    "l2.teenage-pregnancy": ([pregnant(16)], [pregnant(15)]),
    "l2.other-concern": (
        [codes("20"), indicators("OTHER"), {"unrecognised_concerns": True}],
        [codes("21")],
    ),
    "l2.early-help-open": ([{"early_help_open": True}], [{"early_help_found": True}]),
    "l2.frequent-ed-attendance": (
        [{"health_ed_attendances_12m": 3}],
        [{"health_ed_attendances_12m": 2}],
    ),
    "l2.previous-referrals": (
        [{"social_care_referrals_12m": 1}],
        [{"social_care_referrals_12m": 0}],
    ),
    "l2.support-requested": (
        [{"support_requested": "EARLY_HELP"}, {"support_requested": "ASSESSMENT"}],
        [{"support_requested": "ADVICE"}],
    ),
}

FIRES = [(rule_id, case) for rule_id, (fires, _) in TABLE.items() for case in fires]
MISSES = [(rule_id, case) for rule_id, (_, misses) in TABLE.items() for case in misses]


def test_every_rule_is_in_the_table() -> None:
    assert sorted(TABLE) == sorted(rule.id for rule in RULES.rules)


@pytest.mark.parametrize(("rule_id", "changes"), FIRES, ids=[f"{r}-fires" for r, _ in FIRES])
def test_rule_fires(rule_id: str, changes: dict[str, Any]) -> None:
    outcome = RULES.evaluate(child(**changes))
    assert rule_id in outcome.rule_ids
    fired = next(rule for rule in outcome.fired if rule.id == rule_id)
    level = next(rule.level for rule in RULES.rules if rule.id == rule_id)
    assert outcome.level >= fired.level == level
    assert "{" not in fired.reason and fired.evidence


@pytest.mark.parametrize(("rule_id", "changes"), MISSES, ids=[f"{r}-misses" for r, _ in MISSES])
def test_rule_does_not_fire(rule_id: str, changes: dict[str, Any]) -> None:
    assert rule_id not in RULES.evaluate(child(**changes)).rule_ids


def test_nothing_of_concern_is_universal() -> None:
    outcome = RULES.evaluate(child())
    assert (outcome.level, outcome.route, outcome.fired) == (1, "universal", ())


@pytest.mark.parametrize("code", sorted(CONCERN_CODES - {"21"}))
def test_every_concern_code_on_its_own_is_above_universal(code: str) -> None:
    assert RULES.evaluate(child(**codes(code), domestic_abuse=code.startswith("3"))).level >= 2


@pytest.mark.parametrize("indicator", sorted(HEALTH_INDICATORS))
def test_every_health_indicator_on_its_own_is_above_universal(indicator: str) -> None:
    assert RULES.evaluate(child(**indicators(indicator))).level >= 2


def test_every_rule_cites_guidance_and_has_a_plain_reason() -> None:
    for rule in RULES.rules:
        assert len(rule.guidance) > 20, rule.id
        assert rule.reason.source[0].isupper() or rule.reason.source[0] == "{", rule.id
        assert rule.id.startswith(f"l{rule.level}."), rule.id
