"""The enriched child: flat, typed, no nulls, no personal data, and fail-upward on records."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mash.domain.checks import CheckResult
from mash.domain.facts import (
    FACTS,
    MOBILITY_UNKNOWN_MONTHS,
    PRE_MOBILE_MONTHS,
    child_facts,
    default_facts,
    facts_problems,
    months_between,
)
from mash.domain.records import PersonRecord
from mash.domain.referral import Child, Referral
from mash.rules import load_rules

RECEIVED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
KINDS = ("social-care", "early-help", "police", "health")


def a_child(**changes: Any) -> Child:
    base = Child(
        index=0,
        forenames="Amelia",
        surname="Quartermaine",
        dob=date(2018, 3, 14),
        nhs_number="9434765919",
        postcode="TS19 0QX",
    )
    return replace(base, **changes)


def a_referral(child: Child | None = None, **changes: Any) -> Referral:
    base = Referral(
        agency="police",
        source_id="PPN-T1",
        source_code="6",
        received_at=RECEIVED,
        children=(child or a_child(),),
        narrative="Neighbour heard shouting.",
    )
    return replace(base, **changes)


def not_found() -> dict[str, CheckResult]:
    return {kind: CheckResult(kind, "NOT_FOUND") for kind in KINDS}  # type: ignore[arg-type]


def found(kind: str, match: str = "EXACT", **attributes: Any) -> CheckResult:
    record = PersonRecord(
        kind=kind,
        person_id="P-1",
        forenames="Amelia",  # type: ignore[arg-type]
        surname="Quartermaine",
        dob=date(2018, 3, 14),
        updated_at=RECEIVED,
        attributes=attributes,
    )
    return CheckResult(kind, "FOUND", match, 0.9, record)  # type: ignore[arg-type]


def facts_of(
    referral: Referral | None = None, checks: dict[str, CheckResult] | None = None
) -> dict[str, Any]:
    referral = referral or a_referral()
    return child_facts(referral, referral.children[0], not_found() if checks is None else checks)


# --------------------------------------------------------------------------- shape


def test_every_fact_is_present_typed_and_never_null() -> None:
    facts = facts_of()
    assert facts_problems(facts) == []
    assert None not in facts.values()
    assert set(facts) == {name for name, spec in FACTS.items() if not spec.derived}


def test_facts_carry_no_names_identifiers_or_narrative() -> None:
    referral = a_referral(concern_codes=frozenset({"3C"}))
    text = repr(facts_of(referral))
    for personal in ("Amelia", "Quartermaine", "9434765919", "TS19", "2018", "Neighbour"):
        assert personal not in text


def test_a_child_of_whom_nothing_is_known_matches_the_documented_defaults() -> None:
    facts = facts_of(a_referral(a_child(dob=None), agency="council", source_code="2A"), checks={})
    defaults = default_facts()
    differing = {name for name in defaults if name in facts and facts[name] != defaults[name]}
    assert differing == {"agency", "source_code", "checks_unavailable"}


# --------------------------------------------------------------------------- age and mobility


@pytest.mark.parametrize(
    ("born", "on", "months"),
    [
        (date(2026, 7, 15), date(2026, 11, 26), 4),
        (date(2026, 7, 27), date(2026, 11, 26), 3),  # a day short of four months
        (date(2025, 11, 26), date(2026, 11, 26), 12),
        (date(2024, 2, 29), date(2025, 2, 28), 11),
    ],
)
def test_months_between_counts_completed_months(born: date, on: date, months: int) -> None:
    assert months_between(born, on) == months


def test_ages_are_taken_on_the_day_received() -> None:
    facts = facts_of(a_referral(a_child(dob=date(2016, 11, 27))))
    assert (facts["age_months"], facts["age_years"], facts["dob_known"]) == (119, 9, True)


def test_unknown_and_future_dates_of_birth_read_as_unknown_age() -> None:
    for dob in (None, date(2027, 1, 1)):
        facts = facts_of(a_referral(a_child(dob=dob)))
        assert (facts["age_months"], facts["dob_known"]) == (-1, False)


def test_an_unborn_baby_is_age_zero_unborn_and_not_pre_mobile() -> None:
    facts = facts_of(
        a_referral(a_child(dob=None, unborn=True, expected_delivery_date=date(2027, 2, 10)))
    )
    assert facts["unborn"] and not facts["dob_known"] and not facts["pre_mobile"]
    assert facts["age_months"] == 0


@pytest.mark.parametrize(
    ("months_old", "mobile", "pre_mobile"),
    [
        (PRE_MOBILE_MONTHS - 1, None, True),  # not recorded, under six months
        (PRE_MOBILE_MONTHS, None, True),  # not recorded, under a year: unknown is not mobile
        (MOBILITY_UNKNOWN_MONTHS - 1, None, True),
        (MOBILITY_UNKNOWN_MONTHS, None, False),  # a year old, not recorded: may walk
        (10, False, True),  # recorded as not yet mobile, at any age
        (14, False, True),
        (3, True, True),  # recorded as mobile under six months: the protocols still apply
        (PRE_MOBILE_MONTHS, True, False),  # recorded as mobile from six months
    ],
)
def test_pre_mobile_follows_the_protocols(
    months_old: int, mobile: bool | None, pre_mobile: bool
) -> None:
    year, month = divmod(2026 * 12 + 10 - months_old, 12)  # November 2026, less the months
    dob = date(year, month + 1, 20)
    facts = facts_of(a_referral(a_child(dob=dob, mobile=mobile)))
    assert facts["age_months"] == months_old
    assert facts["pre_mobile"] is pre_mobile
    assert facts["mobility_known"] is (mobile is not None)


# --------------------------------------------------------------------------- referral facts


def test_police_notification_facts() -> None:
    referral = a_referral(
        a_child(present_at_incident=True, injured=True),
        incident_type="DOMESTIC_ABUSE",
        dash_risk="MEDIUM",
        dash_score=12,
        non_fatal_strangulation=True,
        weapon_used=False,
        victim_pregnant=True,
        marac_referral=True,
        concern_codes=frozenset({"3C", "1B"}),
    )
    facts = facts_of(referral)
    assert facts["domestic_abuse"] and facts["present_at_incident"] and facts["child_injured"]
    assert facts["injury_present"] and facts["injury_kind"] == "OTHER"
    assert not facts["injury_explanation_consistent"]
    assert (facts["dash_risk"], facts["dash_scored"], facts["dash_score"]) == ("MEDIUM", True, 12)
    assert facts["strangulation"] and facts["victim_pregnant"] and facts["marac_referral"]
    assert facts["concerns"] == ["1B", "3C"]


def test_domestic_abuse_comes_from_the_incident_or_a_3_code() -> None:
    assert facts_of(a_referral(concern_codes=frozenset({"3B"})))["domestic_abuse"]
    assert facts_of(a_referral(incident_type="DOMESTIC_ABUSE"))["domestic_abuse"]
    assert not facts_of(a_referral(incident_type="MISSING_PERSON"))["domestic_abuse"]


def test_v1_notification_has_no_dash_score() -> None:
    facts = facts_of(a_referral(dash_risk="HIGH"))
    assert (facts["dash_scored"], facts["dash_score"]) == (False, -1)


def test_health_injury_is_not_an_incident_injury() -> None:
    child = a_child(injured=True, injury_kind="BRUISE", injury_explanation_consistent=True)
    facts = facts_of(
        a_referral(child, agency="health", source_code="3E", setting="EMERGENCY_DEPARTMENT")
    )
    assert facts["injury_present"] and facts["injury_kind"] == "BRUISE"
    assert facts["injury_explanation_consistent"] and not facts["child_injured"]
    assert facts["setting"] == "EMERGENCY_DEPARTMENT"


def test_council_facts() -> None:
    facts = facts_of(
        a_referral(
            agency="council",
            source_code="2A",
            service="SCHOOL",
            attendance_percent=82,
            disclosure_by_child=True,
            support_requested="EARLY_HELP",
            consent="GIVEN",
        )
    )
    assert (facts["attendance_known"], facts["attendance_percent"]) == (True, 82.0)
    assert isinstance(facts["attendance_percent"], float)
    assert facts["disclosure"] and facts["support_requested"] == "EARLY_HELP"
    assert facts["consent"] == "GIVEN" and facts["service"] == "SCHOOL"


def test_unrecognised_concern_codes_are_a_fact() -> None:
    assert facts_of(a_referral(concern_codes=frozenset({"99Z"})))["unrecognised_concerns"]
    assert not facts_of(a_referral(concern_codes=frozenset({"FII"})))["unrecognised_concerns"]


# --------------------------------------------------------------------------- checks


def test_a_kind_not_checked_or_unavailable_is_not_available() -> None:
    checks = not_found()
    del checks["health"]
    checks["police"] = CheckResult("police", "UNAVAILABLE", reason="records not loaded")
    facts = facts_of(checks=checks)
    assert not facts["health_available"] and not facts["police_available"]
    assert facts["social_care_available"] and facts["early_help_available"]
    assert facts["checks_unavailable"] == ["police", "health"]


def test_confident_records_contribute_everything() -> None:
    checks = not_found() | {
        "social-care": found(
            "social-care", status="CLOSED", referrals_12m=2, last_s47_date=date(2026, 5, 1)
        ),
        "early-help": found(
            "early-help", "PROBABLE", open_episode=True, lead_professional="School SENCO"
        ),
        "police": found(
            "police", domestic_incidents_12m=4, open_marac=True, household_risk_to_children=False
        ),
        "health": found("health", cpis_flag="NONE", ed_attendances_12m=3),
    }
    facts = facts_of(checks=checks)
    assert facts["social_care_found"] and facts["social_care_match"] == "EXACT"
    assert facts["social_care_status"] == "CLOSED"
    assert facts["social_care_referrals_12m"] == 2
    assert (facts["social_care_s47_known"], facts["social_care_last_s47_months"]) == (True, 6)
    assert facts["early_help_open"] and facts["early_help_lead_professional"]
    assert facts["police_domestic_incidents_12m"] == 4 and facts["police_open_marac"]
    assert facts["health_ed_attendances_12m"] == 3 and facts["health_cpis_flag"] == "NONE"
    assert "School SENCO" not in repr(facts)
    assert not facts["identity_uncertain"]


def test_a_record_without_a_status_does_not_read_as_status_none() -> None:
    facts = facts_of(checks=not_found() | {"social-care": found("social-care")})
    assert facts["social_care_status"] == "NOT_RECORDED"


def test_a_possible_match_raises_concern_but_never_reassures() -> None:
    worrying = facts_of(
        checks=not_found()
        | {
            "social-care": found("social-care", "POSSIBLE", status="CP_PLAN"),
            "health": found("health", "POSSIBLE", cpis_flag="LOOKED_AFTER"),
        }
    )
    assert worrying["social_care_status"] == "CP_PLAN"
    assert worrying["health_cpis_flag"] == "LOOKED_AFTER"
    assert not worrying["social_care_found"] and worrying["social_care_match"] == "POSSIBLE"
    assert worrying["identity_uncertain"]
    calm = facts_of(
        checks=not_found()
        | {
            "social-care": found("social-care", "POSSIBLE", status="NONE"),
            "health": found("health", "POSSIBLE"),
        }
    )
    assert calm["social_care_status"] == "NONE"  # the not-found default, not the record's
    assert calm["health_cpis_flag"] == "NONE"  # not NOT_RECORDED: nothing learned


STATUSES = st.sampled_from(["NONE", "OPEN_CIN", "CP_PLAN", "LOOKED_AFTER", "CLOSED"])
CPIS = st.sampled_from(["NONE", "CP_PLAN", "LOOKED_AFTER", "UNBORN_CP_PLAN"])


@given(
    status=st.one_of(st.none(), STATUSES),
    referrals=st.integers(0, 6),
    incidents=st.integers(0, 6),
    marac=st.booleans(),
    household=st.booleans(),
    episode=st.booleans(),
    cpis=st.one_of(st.none(), CPIS),
    attendances=st.integers(0, 6),
)
def test_a_possible_record_never_lowers_the_level(
    status: str | None,
    referrals: int,
    incidents: int,
    marac: bool,
    household: bool,
    episode: bool,
    cpis: str | None,
    attendances: int,
) -> None:
    def records(match: str) -> dict[str, CheckResult]:
        social = {"referrals_12m": referrals} | ({"status": status} if status else {})
        health = {"ed_attendances_12m": attendances} | ({"cpis_flag": cpis} if cpis else {})
        return {
            "social-care": found("social-care", match, **social),
            "early-help": found("early-help", match, open_episode=episode),
            "police": found(
                "police",
                match,
                domestic_incidents_12m=incidents,
                open_marac=marac,
                household_risk_to_children=household,
            ),
            "health": found("health", match, **health),
        }

    rules = _rules()
    referral = a_referral(concern_codes=frozenset({"3C"}), dash_risk="STANDARD")
    nothing_known = rules.evaluate(facts_of(referral)).level
    possible = rules.evaluate(facts_of(referral, records("POSSIBLE"))).level
    assert possible >= nothing_known


_RULES: list[Any] = []


def _rules() -> Any:
    if not _RULES:
        _RULES.append(load_rules())
    return _RULES[0]


# --------------------------------------------------------------------------- the narrative

RULES = load_rules()


def read(referral: Referral) -> dict[str, Any]:
    """Facts with the narrative read under the shipped lexicon, as the router does."""
    scan = RULES.read_narrative(referral.narrative)
    return child_facts(referral, referral.children[0], not_found(), scan)


def test_a_dash_marker_in_a_domestic_abuse_narrative_is_the_marker_not_a_level() -> None:
    facts = read(
        a_referral(
            incident_type="DOMESTIC_ABUSE",
            narrative="He put his hands round her neck until she could not breathe.",
        )
    )
    assert facts["strangulation"] is True
    assert "strangulation" in facts["narrative_concerns"]
    assert facts["narrative_level"] == 0  # weighed by the DA rules with the child's age


def test_outside_domestic_abuse_the_same_words_set_the_narrative_level() -> None:
    facts = read(
        a_referral(
            agency="health",
            narrative="He put his hands round her neck until she could not breathe.",
        )
    )
    assert facts["strangulation"] is False
    assert facts["narrative_level"] == 4


def test_an_injury_the_form_records_is_not_counted_again_from_the_narrative() -> None:
    child = a_child(injured=True, injury_kind="FRACTURE", injury_explanation_consistent=True)
    facts = read(a_referral(child, agency="health", narrative="Forearm fracture after a fall."))
    assert "injury" in facts["narrative_concerns"]
    assert facts["narrative_level"] == 0 and facts["injury_kind"] == "FRACTURE"


def test_an_injury_only_the_narrative_describes_is_an_unexplained_injury() -> None:
    facts = read(a_referral(agency="health", narrative="Nurse saw a bruise on her cheek."))
    assert facts["injury_present"] is True and facts["injury_explanation_consistent"] is False


def test_a_narrative_injury_is_not_put_on_a_child_the_referrer_said_was_not_hurt() -> None:
    text = "Victim kicked on the floor, head wound."
    unhurt = read(
        a_referral(a_child(injured=False), incident_type="DOMESTIC_ABUSE", narrative=text)
    )
    unasked = read(
        a_referral(a_child(injured=None), incident_type="DOMESTIC_ABUSE", narrative=text)
    )
    assert "head_injury" in unhurt["narrative_concerns"]
    assert unhurt["injury_present"] is False and unhurt["injury_kind"] == "NONE"
    assert unasked["injury_present"] is True and unasked["injury_kind"] == "HEAD_INJURY"


def test_a_marac_referral_in_a_domestic_abuse_narrative_is_the_marac_marker() -> None:
    text = "IDVA completed the Dash: 16 yes answers, referred to Marac."
    abuse = read(a_referral(agency="health", concern_codes=frozenset({"3B"}), narrative=text))
    other = read(a_referral(agency="health", narrative=text))
    assert abuse["marac_referral"] is True and abuse["narrative_level"] == 0
    assert other["marac_referral"] is False and other["narrative_level"] == 3


def test_repeated_incidents_in_a_domestic_abuse_narrative_count_at_least_two() -> None:
    text = "Police came to the house twice this term because dad hurt mum."
    told = read(a_referral(agency="council", concern_codes=frozenset({"3A"}), narrative=text))
    counted = read(
        a_referral(incident_type="DOMESTIC_ABUSE", previous_incidents_12m=5, narrative=text)
    )
    assert told["repeat_incidents_12m"] == 2
    assert counted["repeat_incidents_12m"] == 5  # the officer's higher count stands


def test_sexual_words_beside_a_graded_behaviour_describe_that_behaviour() -> None:
    child = a_child(sexual_behaviour="NORMAL")
    text = "Asked whether touching her own genitals at bath time is normal."
    graded = read(a_referral(child, agency="health", narrative=text))
    ungraded = read(a_referral(agency="health", narrative=text))
    assert ungraded["narrative_level"] == 4 and graded["narrative_level"] == 0
    assert graded["narrative_concerns"] == ungraded["narrative_concerns"] == ["sexual_harm"]
