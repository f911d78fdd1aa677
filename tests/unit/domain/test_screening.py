"""Child-focused domestic abuse screening: weights are data, babies weigh most, more risk never
means a lower level."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mash.domain.facts import default_facts
from mash.domain.screening import (
    NOT_SCREENED,
    ScreeningPolicy,
    policy_from_mapping,
    screen,
)
from mash.errors import RuleError
from mash.rules import load_rules

WEIGHTS: dict[str, Any] = {
    "dash_risk": {"HIGH": 10, "MEDIUM": 3, "STANDARD": 1, "NOT_ASSESSED": 2},
    "dash_score": [{"at_least": 14, "points": 10}, {"at_least": 10, "points": 3}],
    "unborn": 3,
    "age_unknown": 2,
    "age": [{"under_months": 60, "points": 1}, {"under_months": 12, "points": 3}],
    "present_at_incident": 3,
    "child_injured": 6,
    "victim_pregnant": 3,
    "strangulation": 4,
    "weapon": 3,
    "marac": 4,
    "repeat_incidents": [{"at_least": 1, "points": 1}, {"at_least": 3, "points": 3}],
    "social_care_status": {"CP_PLAN": 3, "OPEN_CIN": 2},
    "levels": [
        {"at_least": 0, "level": 2},
        {"at_least": 10, "level": 4},
        {"at_least": 6, "level": 3},
    ],
}


@pytest.fixture
def policy() -> ScreeningPolicy:
    return policy_from_mapping(WEIGHTS)


def da_child(**changes: Any) -> dict[str, Any]:
    facts = default_facts()
    facts.update(
        domestic_abuse=True, dash_risk="STANDARD", dob_known=True, age_months=110, age_years=9
    )
    facts.update(changes)
    return facts


def test_no_domestic_abuse_is_not_screened(policy: ScreeningPolicy) -> None:
    assert screen(default_facts(), policy) == NOT_SCREENED
    assert NOT_SCREENED.as_facts()["da_screening_level"] == 0


def test_standard_risk_older_child_away_from_the_incident_is_level_2(
    policy: ScreeningPolicy,
) -> None:
    result = screen(da_child(), policy)
    assert (result.level, result.score, result.reasons) == (2, 1, ("DASH risk standard",))


def test_the_same_incident_weighs_more_for_a_baby_who_was_there(policy: ScreeningPolicy) -> None:
    baby = screen(da_child(age_months=4, age_years=0, present_at_incident=True), policy)
    assert baby.score == 1 + 3 + 3 and baby.level == 3
    assert baby.reasons == ("DASH risk standard", "child under 1 year", "present at the incident")
    toddler = screen(da_child(age_months=30, age_years=2, present_at_incident=True), policy)
    assert toddler.score == 1 + 1 + 3 and toddler.level == 2
    assert "child under 5 years" in toddler.reasons


def test_unborn_and_unknown_age(policy: ScreeningPolicy) -> None:
    unborn = screen(da_child(unborn=True, dob_known=False, age_months=0), policy)
    assert "unborn baby" in unborn.reasons and unborn.score == 1 + 3
    unknown = screen(da_child(dob_known=False, age_months=-1), policy)
    assert "age not known" in unknown.reasons and unknown.score == 1 + 2


def test_dash_score_counts_when_it_says_more_than_the_level(policy: ScreeningPolicy) -> None:
    scored = screen(da_child(dash_risk="MEDIUM", dash_scored=True, dash_score=15), policy)
    assert scored.score == 10 and scored.level == 4
    assert scored.reasons == ("DASH score 15 of 27",)
    lower = screen(da_child(dash_risk="HIGH", dash_scored=True, dash_score=11), policy)
    assert lower.score == 10 and lower.reasons == ("DASH risk high",)


def test_every_factor_adds_its_weight(policy: ScreeningPolicy) -> None:
    everything = screen(
        da_child(
            dash_risk="HIGH",
            present_at_incident=True,
            child_injured=True,
            victim_pregnant=True,
            strangulation=True,
            weapon=True,
            marac_referral=True,
            repeat_incidents_12m=4,
            social_care_status="CP_PLAN",
        ),
        policy,
    )
    assert everything.score == 10 + 3 + 6 + 3 + 4 + 3 + 4 + 3 + 3
    assert "4 domestic incidents in 12 months" in everything.reasons
    assert "social care status cp plan" in everything.reasons
    assert everything.level == 4


def test_open_marac_at_the_address_counts_as_marac(policy: ScreeningPolicy) -> None:
    assert screen(da_child(police_open_marac=True), policy).score == 1 + 4


def test_not_assessed_is_not_reassurance(policy: ScreeningPolicy) -> None:
    assert (
        screen(da_child(dash_risk="NOT_ASSESSED"), policy).score
        > screen(da_child(dash_risk="STANDARD"), policy).score
    )


RISKS = {
    "present_at_incident": True,
    "child_injured": True,
    "victim_pregnant": True,
    "strangulation": True,
    "weapon": True,
    "marac_referral": True,
    "police_open_marac": True,
}


@given(
    base=st.fixed_dictionaries({name: st.booleans() for name in RISKS}),
    extra=st.sampled_from(sorted(RISKS)),
    dash=st.sampled_from(["STANDARD", "MEDIUM", "HIGH", "NOT_ASSESSED"]),
    months=st.integers(0, 215),
    incidents=st.integers(0, 5),
)
def test_adding_a_risk_never_lowers_the_level(
    base: dict[str, bool], extra: str, dash: str, months: int, incidents: int
) -> None:
    policy = policy_from_mapping(WEIGHTS)
    facts = da_child(
        dash_risk=dash,
        age_months=months,
        age_years=months // 12,
        repeat_incidents_12m=incidents,
        **base,
    )
    worse = {**facts, extra: True, "repeat_incidents_12m": incidents + 1}
    assert screen(worse, policy).level >= screen(facts, policy).level


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"speed": 3}, "unknown keys speed"),
        ({"weapon": "lots"}, "weapon must be a whole number"),
        ({"dash_risk": {"HIGH": 2.5}}, "dash_risk.HIGH must be a whole number"),
        ({"age": [{"under": 12, "points": 3}]}, "age item 1 must have exactly under_months"),
        ({"levels": []}, "levels must list at least one"),
        ({"levels": [{"at_least": 0, "level": 7}]}, "levels must be between 1 and 4"),
        ({"repeat_incidents": {"3": 3}}, "repeat_incidents must be a list"),
    ],
)
def test_bad_weights_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleError, match=message):
        policy_from_mapping({**WEIGHTS, **change})


# --------------------------------------------------------------------------- the shipped policy
# The routing-safety issue's defects, on the weights the hub ships (mash/rules/default.yaml).

SHIPPED = load_rules().screening


def test_unknown_presence_counts_as_present() -> None:
    unknown = screen(da_child(presence_known=False), SHIPPED)
    present = screen(da_child(presence_known=True, present_at_incident=True), SHIPPED)
    assert unknown.score == present.score
    assert "presence not recorded (counted as present)" in unknown.reasons


def test_a_child_in_the_household_but_not_present_still_scores() -> None:
    away = screen(da_child(presence_known=True, present_at_incident=False), SHIPPED)
    assert away.score > SHIPPED.dash_risk["STANDARD"]
    assert "in the household (not present at the incident)" in away.reasons


def test_ten_incidents_weigh_more_than_three() -> None:
    three = screen(da_child(presence_known=True, repeat_incidents_12m=3), SHIPPED)
    ten = screen(da_child(presence_known=True, repeat_incidents_12m=10), SHIPPED)
    assert ten.score > three.score


def test_under_seven_and_disability_raise_the_score() -> None:
    nine = screen(da_child(presence_known=True), SHIPPED).score
    assert screen(da_child(presence_known=True, age_months=70, age_years=5), SHIPPED).score > nine
    assert screen(da_child(presence_known=True, disability=True), SHIPPED).score > nine


def test_dash_markers_of_serious_harm_each_add_points() -> None:
    base = screen(da_child(presence_known=True), SHIPPED).score
    for marker in (
        "threats_to_kill",
        "sexual_violence",
        "stalking",
        "separation",
        "threats_to_children",
    ):
        assert screen(da_child(presence_known=True, **{marker: True}), SHIPPED).score > base
