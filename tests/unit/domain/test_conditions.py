"""CEL conditions: source handling, literals, and the specialised fast path giving exactly
the plain program's answers."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mash.domain.conditions import cel_literal, compile_condition, condition_parts
from mash.domain.facts import FACTS, default_facts
from mash.domain.screening import screen
from mash.domain.thresholds import RuleSet
from mash.errors import RuleError
from mash.rules import load_rules


def rule(rule_id: str, level: int, when: str) -> dict[str, Any]:
    return {
        "id": rule_id,
        "level": level,
        "reason": "A reason.",
        "when": when,
        "guidance": "Working Together to Safeguard Children 2023",
    }


SMALL: dict[str, Any] = {
    "levels": {4: "s47", 3: "assessment", 2: "caf", 1: "universal"},
    "default_level": 1,
    "screening": {"domestic_abuse": {"levels": [{"at_least": 0, "level": 2}]}},
    "rules": [
        rule("l4.a", 4, "'19C' in concerns"),
        rule("l3.b", 3, "'16A' in concerns"),
        rule("l2.c", 2, "dob_known && age_months < 12"),
    ],
}


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


# --------------------------------------------------------------------------- the fast path

DEFAULT_RULES = load_rules()
CODES = ["3C", "2B", "4B", "7A", "10A", "11A", "16A", "18B", "19C", "22A", "HOMELESS", "1A"]
INDICATORS = [
    "PREGNANT",
    "MISSED_IMMUNISATIONS",
    "MISSED_APPOINTMENTS",
    "SUBSTANCE_EXPOSURE",
    "CHRONIC_CONDITION_UNTREATED",
    "FAILURE_TO_THRIVE",
]


def _value(name: str) -> st.SearchStrategy[Any]:
    spec = FACTS[name]
    if name == "concerns":
        return st.lists(st.sampled_from(CODES), unique=True).map(sorted)
    if name == "health_indicators":
        return st.lists(st.sampled_from(INDICATORS), unique=True).map(sorted)
    if spec.type is bool:
        return st.booleans()
    if spec.type is int:
        return st.one_of(st.just(spec.default), st.integers(-1, 30))
    if spec.type is float:
        return st.one_of(st.just(spec.default), st.floats(0, 100))
    if spec.type is str:
        return st.sampled_from(
            [
                spec.default,
                "HIGH",
                "MEDIUM",
                "CP_PLAN",
                "OPEN_CIN",
                "FRACTURE",
                "BRUISE",
                "DOMESTIC_ABUSE",
                "EARLY_HELP",
            ]
        )
    return st.just(list(spec.default))


FACT_VALUES = st.fixed_dictionaries(
    {name: _value(name) for name, spec in FACTS.items() if not spec.derived}
)


@settings(max_examples=300, deadline=None)
@given(facts=FACT_VALUES)
def test_fast_path_gives_exactly_the_plain_programs_answers(facts: dict[str, Any]) -> None:
    seen = {**facts, **screen(facts, DEFAULT_RULES.screening).as_facts()}
    expected = [
        r.id
        for r, hit in zip(DEFAULT_RULES.rules, DEFAULT_RULES.reference_hits(seen), strict=True)
        if hit
    ]
    fired = [r.id for r in DEFAULT_RULES.evaluate(facts).fired if not r.id.startswith("engine.")]
    assert fired == expected


def test_the_fast_path_reuses_its_specialised_programs() -> None:
    rules = RuleSet.from_mapping(copy.deepcopy(SMALL), "v")
    for months in range(1, 40):
        rules.evaluate(child(age_months=months, concerns=["7A"]))
    sizes = rules.cache_sizes()
    assert sizes["plans"] == sizes["partitions"]  # one combination of categorical facts each


# --------------------------------------------------------------------------- CEL source


def test_condition_parts_mark_only_fact_references() -> None:
    parts = condition_parts("concerns.exists(c, c in ['concerns']) && \"unborn\" != x.unborn")
    assert [name for _, name in parts if name] == ["concerns"]
    assert (
        "".join(text for text, _ in parts)
        == "concerns.exists(c, c in ['concerns']) && \"unborn\" != x.unborn"
    )


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        (True, "true"),
        (False, "false"),
        (-1, "-1"),
        (-1.0, "-1.0"),
        (82.5, "82.5"),
        ('O\'Brien "x"', '"O\'Brien \\"x\\""'),
        (["3C", "7A"], '["3C", "7A"]'),
        ([], "[]"),
    ],
)
def test_cel_literals(value: Any, literal: str) -> None:
    assert cel_literal(value) == literal


def test_a_condition_that_does_not_compile_is_a_rule_error_without_the_echo() -> None:
    with pytest.raises(RuleError, match=r"condition does not compile: <input>:1:8: Syntax"):
        compile_condition("'7A' in")


def test_live_conditions_read_only_the_continuous_facts_that_changed() -> None:
    rules = RuleSet.from_mapping(copy.deepcopy(SMALL), "v")
    assert rules.evaluate(child(age_months=5, age_years=0)).rule_ids == ("l2.c",)
    assert rules.evaluate(child(age_months=12, age_years=1)).rule_ids == ()
    assert rules.evaluate(child(dob_known=False, age_months=-1)).rule_ids == ()


def test_a_child_like_one_seen_before_still_gets_its_own_continuous_answers() -> None:
    # The same categorical facts (one cached combination of plans) with different ages: the
    # live condition must be evaluated for each child, never answered from the cache.
    rules = RuleSet.from_mapping(copy.deepcopy(SMALL), "v")
    for _ in range(2):
        for months in (3, 30, 11, 12):
            fired = [r.id for r in rules.evaluate(child(age_months=months, concerns=["16A"])).fired]
            assert fired == (["l3.b", "l2.c"] if months < 12 else ["l3.b"])
    assert rules.cache_sizes()["plans"] == rules.cache_sizes()["partitions"]
