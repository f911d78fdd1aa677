"""The threshold engine: decision semantics, validation, and the fast path matching the plain
CEL program exactly."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from mash.domain.facts import default_facts
from mash.domain.thresholds import (
    ENGINE_CHECKS_INCOMPLETE,
    ENGINE_PROTECTED,
    RuleSet,
    inspect_rule_set,
    parse_template,
)
from mash.errors import RuleError

SCREENING = {
    "domestic_abuse": {
        "dash_risk": {"HIGH": 10, "MEDIUM": 3, "STANDARD": 1},
        "levels": [{"at_least": 10, "level": 4}, {"at_least": 0, "level": 2}],
    }
}


def rule(rule_id: str, level: int, when: str, reason: str = "A reason.") -> dict[str, Any]:
    return {
        "id": rule_id,
        "level": level,
        "reason": reason,
        "when": when,
        "guidance": "Working Together to Safeguard Children 2023",
    }


RULES: list[dict[str, Any]] = [
    rule("l4.sexual-abuse", 4, "'19C' in concerns", "Sexual abuse ({concerns})."),
    rule("l3.neglect", 3, "'16A' in concerns"),
    rule(
        "l3.attendance-severe",
        3,
        "attendance_known && attendance_percent < 50.0",
        "Attendance {attendance_percent}%.",
    ),
    rule("l2.young-carer", 2, "'7A' in concerns"),
    rule("l2.baby", 2, "dob_known && age_months < 12", "A baby of {age_months} months."),
]
DATA: dict[str, Any] = {
    "levels": {4: "s47", 3: "assessment", 2: "caf", 1: "universal"},
    "default_level": 1,
    "screening": SCREENING,
    "rules": RULES,
}


def build(**changes: Any) -> RuleSet:
    data = copy.deepcopy(DATA)
    data.update(changes)
    return RuleSet.from_mapping(data, "test-version")


def child(**changes: Any) -> dict[str, Any]:
    facts = default_facts()
    facts.update(
        dob_known=True,
        age_months=100,
        age_years=8,
        consent="GIVEN",
        social_care_available=True,
        early_help_available=True,
        police_available=True,
        health_available=True,
    )
    facts.update(changes)
    return facts


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return build()


# --------------------------------------------------------------------------- semantics


def test_nothing_fired_is_the_default_level(rules: RuleSet) -> None:
    outcome = rules.evaluate(child())
    assert (outcome.level, outcome.route, outcome.fired, outcome.flags) == (1, "universal", (), ())


def test_highest_level_wins_and_every_fired_rule_is_listed(rules: RuleSet) -> None:
    outcome = rules.evaluate(child(concerns=["16A", "19C", "7A"]))
    assert (outcome.level, outcome.route) == (4, "s47")
    assert outcome.rule_ids == ("l4.sexual-abuse", "l3.neglect", "l2.young-carer")


def test_reasons_are_filled_in_and_evidence_is_the_facts_used(rules: RuleSet) -> None:
    outcome = rules.evaluate(
        child(attendance_known=True, attendance_percent=42.0, age_months=5, age_years=0)
    )
    severe, baby = outcome.fired
    assert severe.reason == "Attendance 42%."
    assert severe.evidence == {"attendance_known": True, "attendance_percent": 42.0}
    assert baby.reason == "A baby of 5 months." and baby.level == 2
    assert baby.evidence == {"age_months": 5, "dob_known": True}


def test_outcome_facts_are_what_the_rules_saw_including_screening(rules: RuleSet) -> None:
    facts = child(domestic_abuse=True, dash_risk="HIGH")
    outcome = rules.evaluate(facts)
    assert outcome.facts["da_screening_level"] == 4
    assert outcome.facts["da_screening_reasons"] == ["DASH risk high"]
    assert facts["da_screening_level"] == 0  # the caller's dict is left alone


@pytest.mark.parametrize(
    "protected",
    [
        {"social_care_status": "CP_PLAN"},
        {"social_care_status": "LOOKED_AFTER"},
        {"health_cpis_flag": "UNBORN_CP_PLAN"},
        {"health_cpis_flag": "CP_PLAN"},
    ],
)
def test_a_child_on_a_plan_or_looked_after_is_never_below_assessment(
    rules: RuleSet, protected: dict[str, str]
) -> None:
    outcome = rules.evaluate(child(concerns=["7A"], **protected))
    assert (outcome.level, outcome.route) == (3, "assessment")
    assert outcome.rule_ids == ("l2.young-carer", ENGINE_PROTECTED)
    assert rules.evaluate(child(concerns=["19C"], **protected)).route == "s47"


def test_unavailable_checks_raise_caf_and_universal_to_assessment(rules: RuleSet) -> None:
    for concerns, before in ((["7A"], "caf"), ([], "universal")):
        assert rules.evaluate(child(concerns=concerns)).route == before
        outcome = rules.evaluate(child(concerns=concerns, police_available=False))
        assert outcome.route == "assessment" and "CHECKS_INCOMPLETE" in outcome.flags
        engine = outcome.fired[-1]
        assert engine.id == ENGINE_CHECKS_INCOMPLETE and "police" in engine.reason
        assert engine.evidence == {"police_available": False}


def test_unavailable_checks_never_lower_a_higher_route(rules: RuleSet) -> None:
    outcome = rules.evaluate(child(concerns=["19C"], health_available=False))
    assert outcome.route == "s47" and outcome.flags == ("CHECKS_INCOMPLETE",)
    assert ENGINE_CHECKS_INCOMPLETE not in outcome.rule_ids


@pytest.mark.parametrize(
    ("consent", "flagged"),
    [
        ("GIVEN", False),
        ("REFUSED", True),
        ("NOT_RECORDED", True),
        ("NOT_SOUGHT_RISK_OF_HARM", True),
    ],
)
def test_caf_without_consent_is_flagged(rules: RuleSet, consent: str, flagged: bool) -> None:
    outcome = rules.evaluate(child(concerns=["7A"], consent=consent))
    assert outcome.route == "caf"
    assert ("CONSENT_NEEDED" in outcome.flags) is flagged


def test_consent_is_not_asked_of_statutory_routes(rules: RuleSet) -> None:
    assert rules.evaluate(child(concerns=["16A"], consent="REFUSED")).flags == ()


def test_identity_uncertain_passes_through(rules: RuleSet) -> None:
    assert rules.evaluate(child(identity_uncertain=True)).flags == ("IDENTITY_UNCERTAIN",)


def test_the_level_to_route_mapping_is_configuration() -> None:
    five_levels = build(
        levels={5: "s47", 4: "assessment", 3: "caf", 2: "caf", 1: "universal"},
        rules=[
            rule("r5", 5, "'19C' in concerns"),
            rule("r4", 4, "'16A' in concerns"),
            rule("r3", 3, "'7A' in concerns"),
            rule("r2", 2, "'14A' in concerns"),
        ],
    )
    assert five_levels.route_for(2) == "caf" and five_levels.assessment_level == 4
    assert five_levels.evaluate(child(concerns=["14A"])).route == "caf"
    floored = five_levels.evaluate(child(concerns=["14A"], early_help_available=False))
    assert (floored.level, floored.route) == (4, "assessment")


def test_missing_facts_are_a_rule_error(rules: RuleSet) -> None:
    facts = child()
    del facts["attendance_percent"]
    with pytest.raises(RuleError, match="attendance_percent"):
        rules.evaluate(facts)


def test_a_rule_that_fails_on_a_child_is_named(rules: RuleSet) -> None:
    with pytest.raises(RuleError, match=r"rule l2\.baby could not be evaluated"):
        rules.evaluate(child(age_months="five"))


# --------------------------------------------------------------------------- validation


def problems_of(**changes: Any) -> list[str]:
    data = copy.deepcopy(DATA)
    data.update(changes)
    return [str(problem) for problem in inspect_rule_set(data, "v")[1]]


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([*RULES, rule("l2.x", 2, "'7A' in concernz")], "rule l2.x: unknown fact 'concernz'"),
        ([*RULES, rule("l2.young-carer", 2, "true")], "rule l2.young-carer: duplicate id"),
        ([*RULES, rule("l9.x", 9, "true")], "rule l9.x: level 9 has no route in levels"),
        ([*RULES, rule("l2.x", 2, "'7A' in")], "rule l2.x: condition does not compile"),
        ([*RULES, rule("l2.x", 2, "age_months + 1")], "rule l2.x: condition gives int"),
        (
            [*RULES, rule("l2.x", 2, "dob_known && age_months < 'six'")],
            "rule l2.x: fails on a probe child",
        ),
        (
            [*RULES, rule("l2.x", 2, "true", "Bad {childs_name}.")],
            "rule l2.x: unknown fact 'childs_name' in reason",
        ),
        (
            [*RULES, rule("l2.x", 2, "concerns.exists(unborn, unborn == '7A')")],
            "rule l2.x: macro variable 'unborn' hides the fact",
        ),
        ([*RULES, {"id": "l2.x", "level": 2, "when": "true"}], "rule l2.x: missing guidance"),
        ([*RULES, {**rule("l2.x", 2, "true"), "colour": "red"}], "rule l2.x: unknown key 'colour'"),
        ([*RULES, {**rule("l2.x", 2, "true"), "guidance": " "}], "rule l2.x: guidance must cite"),
        ([*RULES, rule("L2 X", 2, "true")], "rule L2 X: id must be lower-case"),
    ],
)
def test_rule_problems_are_named(rules: list[dict[str, Any]], expected: str) -> None:
    found = problems_of(rules=rules)
    assert any(problem.startswith(expected) for problem in found), found


def test_unreachable_and_non_monotone_levels_are_errors() -> None:
    no_level_4 = [r for r in RULES if r["level"] != 4]
    assert "levels: level 4 (s47) is unreachable: no rule gives it" in problems_of(rules=no_level_4)
    found = problems_of(levels={4: "caf", 3: "assessment", 2: "caf", 1: "universal"})
    assert "levels: level 4 (caf) routes lower than level 3 (assessment)" in found
    assert any(
        "no level routes to assessment" in p
        for p in problems_of(levels={4: "s47", 3: "caf", 2: "caf", 1: "universal"})
    )


def test_unguarded_sentinel_facts_are_warned_about() -> None:
    data = copy.deepcopy(DATA)
    data["rules"].append(rule("l2.x", 2, "attendance_percent < 90.0"))
    rule_set, problems = inspect_rule_set(data, "v")
    assert rule_set is not None
    assert [(p.severity, p.where) for p in problems] == [("warning", "rule l2.x")]
    assert "without attendance_known" in problems[0].message


def test_from_mapping_raises_with_the_problems() -> None:
    with pytest.raises(RuleError, match=r"rule set v is not valid: .*unknown fact"):
        RuleSet.from_mapping({**DATA, "rules": [rule("l2.x", 2, "nope")]}, "v")
    with pytest.raises(RuleError, match="a rule set must be a mapping"):
        RuleSet.from_mapping(["not", "a", "mapping"], "v")


@pytest.mark.parametrize("source", ["No facts at all.", "Braces {{escaped}} stay braces.", ""])
def test_a_reason_without_facts_reads_exactly_as_written(source: str) -> None:
    template = parse_template(source)
    assert template.constant == source.format()
    assert template.render({}) == source.format()


def test_a_reason_with_facts_is_filled_in_per_child() -> None:
    template = parse_template("Aged {age_months} months; {{not a fact}}.")
    assert template.constant is None
    assert template.render({"age_months": 7}) == "Aged 7 months; {not a fact}."
    assert template.render({"age_months": 8}) == "Aged 8 months; {not a fact}."


def test_evidence_lists_are_copies_of_the_facts(rules: RuleSet) -> None:
    facts = child(concerns=["19C"])
    (fired, *_) = rules.evaluate(facts).fired
    assert fired.reason == "Sexual abuse (19C)."
    assert fired.evidence["concerns"] == ["19C"]
    fired.evidence["concerns"].append("X")
    assert facts["concerns"] == ["19C"]
