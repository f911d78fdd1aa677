"""The enriched child: the flat, typed facts the threshold rules see, and nothing else.

One dict per child, built from the canonical referral and the cross-agency checks. It is what
the rules evaluate, what a decision logs as ``facts`` and what ``mash whatif`` re-evaluates
under another rule set years later, so it is deliberately plain:

* **Flat and typed, no nulls.** CEL has no truthiness and mishandles null (``null < 6`` is an
  error, not false), so every fact always has a value of one type. Where "not known" matters
  there is an explicit boolean (``dob_known``, ``attendance_known``, ``dash_scored``) and the
  number takes a documented sentinel (``-1``) that a rule must guard: :data:`FACTS` records
  each guard and ``mash rules check`` warns about a rule that reads the number without it.
* **No names, no narrative, no identifiers.** Codes, ages, flags and record summaries only:
  the facts are copied into the decision log and into every fired rule's evidence.
* **Unknown is never reassurance.** Defaults are the "nothing known" value, and a check that
  could not run is visible (``<kind>_available`` false), so the engine can fail upward.

POSSIBLE identity matches. A record that only *possibly* belongs to the child (identity
resolution said POSSIBLE) can be someone else's, so it may add concern but never remove it:
each of its values is taken only when it is concerning (a status other than NONE, a positive
count, a true risk flag) and otherwise left at the not-found default; ``<kind>_found`` stays
false and ``<kind>_match`` says POSSIBLE, and ``identity_uncertain`` is set so the decision is
flagged for a person to resolve. Since every default is the least concerning value, this can
only ever raise a child's level, never lower it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from mash.domain.checks import CheckResult, is_confirmed, is_uncertain
from mash.domain.codes import CONCERN_CODES
from mash.domain.narrative import NO_CONCERNS, NarrativeScan
from mash.domain.referral import Child, Referral

UNKNOWN: Final = -1
"""Sentinel for a number that is not known; always paired with a ``*_known`` boolean."""

PRE_MOBILE_MONTHS: Final = 6
"""Below this age every baby is treated as pre-mobile, whatever the mobility flag says.

The pre-mobile baby protocols (pan-London; Leicester, Leicestershire & Rutland; Durham;
Bedford) define pre-mobile as "not yet rolling, crawling, bottom-shuffling, pulling to stand,
cruising or walking independently" and take in every baby under six months whatever the
parents or the referrer say about mobility. An explicit "mobile: false" from the referrer
counts at any age (e.g. a disabled child who is not independently mobile)."""

MOBILITY_UNKNOWN_MONTHS: Final = 12
"""Below this age a baby whose mobility is not recorded is treated as pre-mobile: many babies
do not crawl before their first birthday, and unknown is never reassurance (the protocols
apply until mobility is known)."""

YOUNG_CHILD_MONTHS: Final = 84
"""Under seven: Barnardo's Domestic Violence Risk Identification Matrix raises the risk to a
child under seven (less able to protect themselves or to tell)."""

DOMESTIC_ABUSE_CODES: Final = frozenset({"3A", "3B", "3C"})
NARRATIVE_DOMESTIC_ABUSE: Final = frozenset(
    {"strangulation", "threat_to_kill", "weapon", "marac", "repeat_incidents"}
)
"""Narrative concern categories that, in a domestic abuse referral, count as the DASH markers
of the same name (raise-only: a marker the form did not ask can still be read in the text);
``marac`` is the MARAC referral (SafeLives: a Marac referral, or 14 or more 'yes' answers),
``repeat_incidents`` at least :data:`NARRATIVE_REPEAT_INCIDENTS` incidents."""
NARRATIVE_REPEAT_INCIDENTS: Final = 2
"""What "police came again" says when it gives no number: more than once."""

# The record kinds as they appear in fact names (``social-care`` -> ``social_care_*``).
CHECK_PREFIXES: Final[Mapping[str, str]] = {
    "social-care": "social_care",
    "early-help": "early_help",
    "police": "police",
    "health": "health",
}


@dataclass(frozen=True, slots=True)
class FactSpec:
    """One fact: its CEL type, its value when nothing is known, and what it means.

    ``guard`` names the boolean a rule must test before trusting a sentinel default
    (``attendance_known && attendance_percent < 90.0``). ``continuous`` marks numbers that
    take many values (ages, counts, percentages); every other fact takes few values, which
    lets the engine specialise its compiled rules per combination of them."""

    name: str
    type: type
    default: Any
    meaning: str
    guard: str | None = None
    derived: bool = False
    continuous: bool = False


def _spec(name: str, kind: type, default: Any, meaning: str, guard: str | None = None) -> FactSpec:
    return FactSpec(name, kind, default, meaning, guard, continuous=kind in (int, float))


_CHILD_FACTS: Final[tuple[FactSpec, ...]] = (
    _spec("agency", str, "", "Referring agency: police, health or council."),
    _spec(
        "source_code", str, "10", "DfE CIN referral source code (6 police, 3A GP, 2A school...)."
    ),
    _spec(
        "age_months",
        int,
        UNKNOWN,
        "Completed months of age on the day received; -1 unknown; 0 for an unborn baby.",
        "dob_known",
    ),
    _spec("age_years", int, UNKNOWN, "Completed years of age; -1 unknown; 0 unborn.", "dob_known"),
    _spec("dob_known", bool, False, "The date of birth is known (false for unborn babies)."),
    _spec("unborn", bool, False, "The referral is about an unborn baby."),
    _spec("mobility_known", bool, False, "The referrer said whether the child is mobile."),
    _spec(
        "pre_mobile",
        bool,
        False,
        "Treated as not yet independently mobile: recorded as not mobile, under 6 months "
        "whatever the record says, or mobility not recorded and under 12 months (pre-mobile "
        "baby protocols; unknown is never reassurance).",
    ),
    _spec("concerns", list, [], "Concern codes: DfE CIN factor codes and form extras (FII...)."),
    _spec("unrecognised_concerns", bool, False, "A concern code outside the hub's code list."),
    _spec("health_indicators", list, [], "Health indicators (MISSED_IMMUNISATIONS, PREGNANT...)."),
    _spec(
        "injury_present",
        bool,
        False,
        "An injury is recorded (health injury or police 'child injured').",
    ),
    _spec("injury_kind", str, "NONE", "BRUISE, BURN, FRACTURE, HEAD_INJURY, BITE, OTHER or NONE."),
    _spec(
        "injury_explanation_consistent",
        bool,
        False,
        "True only when the referrer recorded "
        "the explanation as consistent with the injury; not recorded counts as false.",
    ),
    _spec("present_at_incident", bool, False, "Police: the child was present at the incident."),
    _spec(
        "presence_known",
        bool,
        False,
        "The officer recorded whether the child was present (false: not recorded, which the "
        "screening counts as present).",
    ),
    _spec("child_injured", bool, False, "Police: the child was injured in the incident."),
    _spec(
        "injury_site",
        str,
        "NONE",
        "Where the injury is: FACE, EARS, NECK, HEAD, FRENULUM, TORSO, BUTTOCKS, GENITALS, ARMS, "
        "LEGS, HANDS_FEET, MULTIPLE, OTHER; NOT_RECORDED for an injury without a site; NONE "
        "without an injury.",
    ),
    _spec(
        "injury_patterned",
        bool,
        False,
        "The injury has a pattern (grip marks, a hand, an implement, a ligature) or a bite is "
        "adult-sized.",
    ),
    _spec("under_seven", bool, False, "Under seven years old, or unborn (DVRIM age band)."),
    _spec("disability", bool, False, "The child has a disability or additional needs."),
    _spec("found_alone", bool, False, "The child was found alone or left unsupervised unsafely."),
    _spec("police_protection", bool, False, "Police used powers of protection (CA 1989 s46)."),
    _spec("disclosure", bool, False, "The child has disclosed harm to the referrer."),
    _spec("incident_type", str, "NONE", "Police incident type, or NONE for other agencies."),
    _spec(
        "domestic_abuse",
        bool,
        False,
        "Domestic abuse is part of this referral: a police "
        "domestic abuse incident or a 3A/3B/3C concern code.",
    ),
    _spec(
        "dash_risk", str, "NOT_ASSESSED", "DASH risk level: STANDARD, MEDIUM, HIGH, NOT_ASSESSED."
    ),
    _spec("dash_scored", bool, False, "A DASH score (number of 'yes' answers) was given (v2)."),
    _spec("dash_score", int, UNKNOWN, "DASH 'yes' answers out of 27; -1 not given.", "dash_scored"),
    _spec(
        "strangulation",
        bool,
        False,
        "Police: non-fatal strangulation or suffocation; or strangulation in a domestic abuse "
        "narrative.",
    ),
    _spec(
        "weapon",
        bool,
        False,
        "Police: a weapon was used or threatened; or a weapon in a domestic abuse narrative.",
    ),
    _spec(
        "threats_to_kill",
        bool,
        False,
        "Police: the suspect threatened to kill; or a threat to kill in a domestic abuse "
        "narrative.",
    ),
    _spec(
        "sexual_violence", bool, False, "Police: sexual violence in the incident or relationship."
    ),
    _spec("stalking", bool, False, "Police: the suspect stalks or harasses the victim."),
    _spec("separation", bool, False, "Police: separation within the last year."),
    _spec(
        "threats_to_children", bool, False, "Police: the suspect threatened or used the children."
    ),
    _spec(
        "repeat_incidents_12m",
        int,
        0,
        "Domestic incidents in 12 months: the higher of the officer's count and police records.",
    ),
    _spec("victim_pregnant", bool, False, "Police: the victim is pregnant."),
    _spec("marac_referral", bool, False, "Police: the case is being referred to MARAC."),
    _spec(
        "consent",
        str,
        "NOT_RECORDED",
        "Family consent: GIVEN, REFUSED, NOT_SOUGHT_RISK_OF_HARM or NOT_RECORDED.",
    ),
    _spec("attendance_known", bool, False, "A school attendance figure was given."),
    _spec(
        "attendance_percent",
        float,
        float(UNKNOWN),
        "School attendance percentage; -1.0 not given.",
        "attendance_known",
    ),
    _spec(
        "support_requested",
        str,
        "NONE",
        "What the referrer asked for: ADVICE, EARLY_HELP, ASSESSMENT, STRATEGY_DISCUSSION or NONE.",
    ),
    _spec(
        "care_seriously_affected",
        bool,
        False,
        "A carer's mental ill health, substance use or learning disability seriously affects "
        "the child's care (or the carer was incapacitated at a police incident).",
    ),
    _spec("sole_carer", bool, False, "That carer is the child's only carer."),
    _spec(
        "child_in_parent_delusions",
        bool,
        False,
        "The child features in a carer's delusions or is the focus of their hostility.",
    ),
    _spec(
        "suicidal_plans", bool, False, "The child has suicidal plans or intent, or made an attempt."
    ),
    _spec("sexually_transmitted_infection", bool, False, "The child has an STI."),
    _spec("sexually_active", bool, False, "The child is, or is believed to be, sexually active."),
    _spec(
        "older_partner",
        bool,
        False,
        "The child's sexual partner is much older or in a position of power or trust, or gives "
        "gifts, money, drugs or alcohol.",
    ),
    _spec(
        "life_threatening_neglect",
        bool,
        False,
        "A carer's neglect or refusal of treatment has endangered the child's life.",
    ),
    _spec("family_homeless", bool, False, "The family is homeless or about to be."),
    _spec(
        "community_harm",
        bool,
        False,
        "Harm outside the home: community harassment or violence, exploitation by outsiders.",
    ),
    _spec(
        "child_not_seen",
        bool,
        False,
        "No professional has seen the child for a long time, with concerns for their safety.",
    ),
    _spec(
        "adult_posing_risk",
        bool,
        False,
        "The referrer says an adult who poses a risk to children lives in or visits the household.",
    ),
    _spec(
        "sexual_behaviour",
        str,
        "NOT_ASSESSED",
        "The child's sexual behaviour on Hackett's continuum: NORMAL, INAPPROPRIATE, "
        "PROBLEMATIC, ABUSIVE, VIOLENT or NOT_ASSESSED.",
    ),
    _spec(
        "substance_use",
        str,
        "NOT_KNOWN",
        "How often the young person uses drugs or alcohol: NONE, EXPERIMENTAL, OCCASIONAL, "
        "REGULAR, DAILY or NOT_KNOWN.",
    ),
    _spec("sibling_on_plan", bool, False, "A sibling is on a CP plan or looked after."),
    _spec(
        "sibling_removed",
        bool,
        False,
        "A previous child was permanently removed from the parents' care.",
    ),
    _spec(
        "narrative_concerns",
        list,
        [],
        "Concern categories read in the referral's free text (strangulation, weapon, ...): "
        "raise-only, negations excluded; the text itself is never a fact.",
    ),
    _spec(
        "narrative_level",
        int,
        0,
        "The highest level the narrative's categories suggest (their level_hint); 0 none. In a "
        "domestic abuse referral the DASH markers read there count as markers instead.",
    ),
    _spec("setting", str, "NONE", "Health setting (EMERGENCY_DEPARTMENT, GP...) or NONE."),
    _spec("service", str, "NONE", "Council service (SCHOOL, HOUSING...) or NONE."),
)


def _check_specs(kind: str, prefix: str) -> tuple[FactSpec, ...]:
    return (
        _spec(f"{prefix}_available", bool, False, f"The {kind} records could be checked."),
        _spec(
            f"{prefix}_found",
            bool,
            False,
            f"A {kind} record matched with confidence (EXACT or PROBABLE).",
        ),
        _spec(
            f"{prefix}_match",
            str,
            "NONE",
            f"Match confidence of the {kind} record: EXACT, PROBABLE, POSSIBLE or NONE.",
        ),
    )


_RECORD_FACTS: Final[tuple[FactSpec, ...]] = (
    *_check_specs("social-care", "social_care"),
    _spec(
        "social_care_status",
        str,
        "NONE",
        "Social care status: NONE, OPEN_CIN, CP_PLAN, "
        "LOOKED_AFTER, CLOSED, or NOT_RECORDED when a record carries none.",
    ),
    _spec("social_care_referrals_12m", int, 0, "Referrals to social care in the last 12 months."),
    _spec("social_care_s47_known", bool, False, "A previous s47 enquiry date is recorded."),
    _spec(
        "social_care_last_s47_months",
        int,
        UNKNOWN,
        "Months since the last s47 enquiry; -1 none recorded.",
        "social_care_s47_known",
    ),
    *_check_specs("early-help", "early_help"),
    _spec("early_help_open", bool, False, "An early help episode is open."),
    _spec("early_help_lead_professional", bool, False, "The open episode has a lead professional."),
    *_check_specs("police", "police"),
    _spec(
        "police_domestic_incidents_12m",
        int,
        0,
        "Domestic incidents at the child's address in the last 12 months (police records).",
    ),
    _spec("police_open_marac", bool, False, "An open MARAC case at the child's address."),
    _spec(
        "police_household_risk_to_children",
        bool,
        False,
        "Someone in the household poses a risk to children (e.g. a registered sex offender).",
    ),
    *_check_specs("health", "health"),
    _spec(
        "health_cpis_flag",
        str,
        "NONE",
        "CP-IS flag: NONE, CP_PLAN, LOOKED_AFTER, UNBORN_CP_PLAN, or NOT_RECORDED.",
    ),
    _spec("health_ed_attendances_12m", int, 0, "Emergency department attendances in 12 months."),
    _spec("checks_unavailable", list, [], "Record kinds that could not be checked."),
    _spec(
        "identity_uncertain",
        bool,
        False,
        "Some record matched only POSSIBLY: a person must confirm who the child is.",
    ),
)

SCREENING_FACTS: Final[tuple[FactSpec, ...]] = (
    FactSpec(
        "da_screening_level",
        int,
        0,
        "Child-focused domestic abuse screening level 1-4; 0 "
        "when there is no domestic abuse (added by the rule set's screening).",
        derived=True,
    ),
    FactSpec(
        "da_screening_score",
        int,
        0,
        "Points behind the screening level.",
        derived=True,
        continuous=True,
    ),
    FactSpec(
        "da_screening_reasons", list, [], "What raised the screening level, in words.", derived=True
    ),
)

FACTS: Final[Mapping[str, FactSpec]] = {
    spec.name: spec for spec in (*_CHILD_FACTS, *_RECORD_FACTS, *SCREENING_FACTS)
}
"""Every fact a rule may name, with its type, default and meaning (the rules' vocabulary)."""


FACTS_ADDED_2026_12: Final = frozenset(
    {
        "presence_known",
        "injury_site",
        "injury_patterned",
        "under_seven",
        "disability",
        "found_alone",
        "police_protection",
        "threats_to_kill",
        "sexual_violence",
        "stalking",
        "separation",
        "threats_to_children",
        "repeat_incidents_12m",
        "care_seriously_affected",
        "sole_carer",
        "child_in_parent_delusions",
        "suicidal_plans",
        "sexually_transmitted_infection",
        "sexually_active",
        "older_partner",
        "adult_posing_risk",
        "life_threatening_neglect",
        "family_homeless",
        "community_harm",
        "child_not_seen",
        "sexual_behaviour",
        "substance_use",
        "sibling_on_plan",
        "sibling_removed",
        "narrative_concerns",
        "narrative_level",
    }
)
"""Facts added for the routing-safety work (police v3, health v2, council v2, the narrative).
Decisions logged before them lack them; :func:`complete_logged_facts` fills them in."""


def complete_logged_facts(facts: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Facts logged before :data:`FACTS_ADDED_2026_12` existed, completed so a newer rule set
    can re-decide them (``mash whatif``), and the names filled in.

    The referral forms of the time did not ask those questions, so each reads as the live
    router reads a question the form did not ask: not known (the fact's default). Three are
    derived from what was logged instead, because the old facts say them exactly: the age
    band from the age, the incident count from the police records (the officer's own count was
    not read then), and whether presence was recorded (police v1 and v2 required it). Any
    other missing fact is not filled: the decision cannot be read, and is reported as such.
    """
    missing = [name for name in FACTS_ADDED_2026_12 if name not in facts]
    if not missing:
        return dict(facts), ()
    completed = dict(facts)
    derived = {
        "under_seven": bool(facts.get("unborn"))
        or (bool(facts.get("dob_known")) and facts.get("age_months", UNKNOWN) < YOUNG_CHILD_MONTHS),
        "repeat_incidents_12m": facts.get("police_domestic_incidents_12m", 0),
        "presence_known": facts.get("agency") == "police",
    }
    for name in missing:
        spec = FACTS[name]
        default = list(spec.default) if spec.type is list else spec.default
        completed[name] = derived.get(name, default)
    return completed, tuple(sorted(missing))


def default_facts() -> dict[str, Any]:
    """A child of whom nothing is known: every fact at its default (fresh lists)."""
    return {
        name: (list(spec.default) if spec.type is list else spec.default)
        for name, spec in FACTS.items()
    }


# --------------------------------------------------------------------------- child


def months_between(born: date, on: date) -> int:
    """Completed calendar months from ``born`` to ``on`` (negative if ``on`` is earlier)."""
    months = (on.year - born.year) * 12 + (on.month - born.month)
    return months - 1 if on.day < born.day else months


def _age_facts(child: Child, on: date) -> dict[str, Any]:
    # A date of birth after the day of receipt is a data error, not a newborn: the age is
    # then unknown, so age-based rules that guard on dob_known treat it as such.
    if child.unborn:
        return {"age_months": 0, "age_years": 0, "dob_known": False, "unborn": True}
    if child.dob is None or child.dob > on:
        return {"age_months": UNKNOWN, "age_years": UNKNOWN, "dob_known": False, "unborn": False}
    months = months_between(child.dob, on)
    return {"age_months": months, "age_years": months // 12, "dob_known": True, "unborn": False}


def is_pre_mobile(child: Child, age_months: int, dob_known: bool) -> bool:
    """Treated as not yet independently mobile (see :data:`PRE_MOBILE_MONTHS` and
    :data:`MOBILITY_UNKNOWN_MONTHS`): a recorded "not mobile" at any age; every baby under six
    months, whatever the record says; and a baby under twelve months whose mobility is not
    recorded."""
    if child.unborn:
        return False
    if child.mobile is False:
        return True
    if not dob_known:
        return False
    if age_months < PRE_MOBILE_MONTHS:
        return True
    return child.mobile is None and age_months < MOBILITY_UNKNOWN_MONTHS


def _injury_facts(child: Child, incident: bool) -> dict[str, Any]:
    # ``child_injured`` is the police notion (hurt in the incident being notified), which the
    # domestic abuse rules weigh; ``injury_present`` is any recorded injury, from any agency.
    present = bool(child.injured) or child.injury_kind is not None
    return {
        "injury_present": present,
        "injury_kind": (child.injury_kind or "OTHER") if present else "NONE",
        "injury_site": (child.injury_site or "NOT_RECORDED") if present else "NONE",
        "injury_patterned": present and child.injury_patterned is True,
        "injury_explanation_consistent": present and child.injury_explanation_consistent is True,
        "child_injured": incident and bool(child.injured),
    }


NARRATIVE_INJURY: Final = frozenset({"injury", "head_injury"})
AGE_OF_CONSENT: Final = 16
"""Sexual Offences Act 2003: below this age a stated adult partner is itself the concern."""


def narrative_level(narrative: NarrativeScan, facts: Mapping[str, Any]) -> int:
    """The highest level the narrative's categories suggest, leaving out those that describe
    something the facts already weigh, so that one thing is not counted twice at two levels:

    * in a domestic abuse referral, the DASH markers read there (:data:`NARRATIVE_DOMESTIC_ABUSE`)
      are the markers themselves, which the screening and the domestic abuse rules weigh with
      the child's age and presence;
    * an injury read there is the injury (the one the form records, or, when it records none,
      the injury the narrative adds: :func:`_narrative_injury`), which the injury rules weigh
      with the explanation, the site and the child's age and mobility;
    * sexual words beside a graded sexual behaviour describe that behaviour, which the referrer
      placed on Hackett's continuum;
    * an adult partner is the ``older_partner`` fact when the child is under the age of consent
      (:func:`_narrative_answers`), which the rules weigh with the child's age; and a pregnancy
      is the ``victim_pregnant`` marker in a domestic abuse referral, and otherwise describes a
      pregnancy the rules already weigh (the unborn child, the PREGNANT indicator).
    """
    absorbed = set(NARRATIVE_INJURY) | {"older_partner", "pregnancy"}
    if facts["domestic_abuse"]:
        absorbed |= NARRATIVE_DOMESTIC_ABUSE
    if facts["sexual_behaviour"] != "NOT_ASSESSED":
        absorbed.add("sexual_harm")
    return max((c.level_hint for c in narrative.concerns if c.category not in absorbed), default=0)


def _narrative_answers(facts: Mapping[str, Any]) -> dict[str, Any]:
    """What the narrative says that answers a structured question (raise-only): an adult
    partner of a child under the age of consent is an older partner (Sexual Offences Act 2003;
    Brook: red). An older child's adult partner is left to the referrer's own judgement."""
    young = not facts["dob_known"] or facts["age_years"] < AGE_OF_CONSENT
    if "older_partner" in facts["narrative_concerns"] and young and not facts["unborn"]:
        return {"older_partner": True}
    return {}


def _narrative_injury(categories: list[str]) -> dict[str, Any]:
    """An injury only the narrative describes counts as an injury whose explanation nobody
    judged (raise-only), so the injury rules and the pre-mobile protocols apply to it."""
    if "head_injury" in categories:
        return {"injury_present": True, "injury_kind": "HEAD_INJURY", "injury_site": "HEAD"}
    if "injury" in categories:
        return {"injury_present": True, "injury_kind": "OTHER", "injury_site": "NOT_RECORDED"}
    return {}


def _referral_facts(referral: Referral, narrative: NarrativeScan) -> dict[str, Any]:
    concerns = sorted(referral.concern_codes)
    score = referral.dash_score
    attendance = referral.attendance_percent
    domestic_abuse = (
        referral.incident_type == "DOMESTIC_ABUSE"
        or not DOMESTIC_ABUSE_CODES.isdisjoint(referral.concern_codes)
    )
    # In a domestic abuse referral, a DASH marker read in the narrative counts as the marker
    # (raise-only); outside one, the narrative category stays a category of its own.
    told = frozenset(narrative.categories) if domestic_abuse else frozenset()
    # (The pregnancy read there is the victim's: the referral is about the abuse.)
    return {
        "agency": referral.agency,
        "source_code": referral.source_code,
        "concerns": concerns,
        "unrecognised_concerns": not referral.concern_codes <= CONCERN_CODES,
        "health_indicators": sorted(referral.health_indicators),
        "incident_type": referral.incident_type or "NONE",
        "domestic_abuse": domestic_abuse,
        "dash_risk": referral.dash_risk or "NOT_ASSESSED",
        "dash_scored": score is not None,
        "dash_score": UNKNOWN if score is None else score,
        "strangulation": referral.non_fatal_strangulation or "strangulation" in told,
        "weapon": referral.weapon_used or "weapon" in told,
        "threats_to_kill": referral.threats_to_kill is True or "threat_to_kill" in told,
        "sexual_violence": referral.sexual_violence is True,
        "stalking": referral.stalking is True,
        "separation": referral.separation is True,
        "threats_to_children": referral.threats_to_children is True,
        "victim_pregnant": referral.victim_pregnant or "pregnancy" in told,
        "marac_referral": referral.marac_referral or "marac" in told,
        "consent": referral.consent,
        "attendance_known": attendance is not None,
        "attendance_percent": float(UNKNOWN) if attendance is None else float(attendance),
        "support_requested": referral.support_requested or "NONE",
        "setting": referral.setting or "NONE",
        "service": referral.service or "NONE",
        "care_seriously_affected": referral.care_seriously_affected is True,
        "sole_carer": referral.sole_carer is True,
        "adult_posing_risk": referral.adult_posing_risk is True,
        "life_threatening_neglect": referral.life_threatening_neglect is True,
        "family_homeless": referral.family_homeless is True,
        "community_harm": referral.community_harm is True,
        "child_not_seen": referral.child_not_seen is True,
        "sibling_on_plan": referral.sibling_on_plan is True,
        "sibling_removed": referral.sibling_removed is True,
        "narrative_concerns": sorted(narrative.categories),
    }


def _child_facts(child: Child, on: date, incident: bool, disclosed: bool) -> dict[str, Any]:
    facts = _age_facts(child, on)
    facts["mobility_known"] = child.mobile is not None and not child.unborn
    facts["pre_mobile"] = is_pre_mobile(child, facts["age_months"], facts["dob_known"])
    facts["under_seven"] = child.unborn or (
        facts["dob_known"] and facts["age_months"] < YOUNG_CHILD_MONTHS
    )
    facts["present_at_incident"] = bool(child.present_at_incident)
    facts["presence_known"] = child.present_at_incident is not None
    facts["disability"] = child.disability is True
    facts["found_alone"] = child.found_alone is True
    facts["police_protection"] = child.police_protection is True
    facts["disclosure"] = disclosed or child.disclosure is True
    facts["child_in_parent_delusions"] = child.in_parent_delusions is True
    facts["suicidal_plans"] = child.suicidal_plans is True
    facts["sexually_transmitted_infection"] = child.sexually_transmitted_infection is True
    facts["sexually_active"] = child.sexually_active is True
    facts["older_partner"] = child.older_partner is True
    facts["sexual_behaviour"] = child.sexual_behaviour or "NOT_ASSESSED"
    facts["substance_use"] = child.substance_use or "NOT_KNOWN"
    facts.update(_injury_facts(child, incident))
    return facts


# --------------------------------------------------------------------------- records


def _status(value: Any, confident: bool) -> str | None:
    """A record's status or flag as a fact: from a confident match whatever it says ("no
    status recorded" is not "NONE"); from a POSSIBLE match only when it is not NONE."""
    if confident:
        return value if isinstance(value, str) else "NOT_RECORDED"
    return value if isinstance(value, str) and value != "NONE" else None


def _social_care(attrs: Mapping[str, Any], on: date, confident: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    status = _status(attrs.get("status"), confident)
    if status is not None:
        facts["social_care_status"] = status
    referrals = attrs.get("referrals_12m")
    if isinstance(referrals, int) and referrals > 0:
        facts["social_care_referrals_12m"] = referrals
    last_s47 = attrs.get("last_s47_date")
    if isinstance(last_s47, date) and last_s47 <= on:
        facts["social_care_s47_known"] = True
        facts["social_care_last_s47_months"] = months_between(last_s47, on)
    return facts


def _early_help(attrs: Mapping[str, Any], on: date, confident: bool) -> dict[str, Any]:
    # An open episode is a concern (the lead professional must hear of this referral); a
    # POSSIBLE record's open episode is still worth telling them about.
    if attrs.get("open_episode") is not True:
        return {}
    return {
        "early_help_open": True,
        "early_help_lead_professional": bool(attrs.get("lead_professional")),
    }


def _police(attrs: Mapping[str, Any], on: date, confident: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    incidents = attrs.get("domestic_incidents_12m")
    if isinstance(incidents, int) and incidents > 0:
        facts["police_domestic_incidents_12m"] = incidents
    for source, fact in (
        ("open_marac", "police_open_marac"),
        ("household_risk_to_children", "police_household_risk_to_children"),
    ):
        if attrs.get(source) is True:
            facts[fact] = True
    return facts


def _health(attrs: Mapping[str, Any], on: date, confident: bool) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    flag = _status(attrs.get("cpis_flag"), confident)
    if flag is not None:
        facts["health_cpis_flag"] = flag
    attendances = attrs.get("ed_attendances_12m")
    if isinstance(attendances, int) and attendances > 0:
        facts["health_ed_attendances_12m"] = attendances
    return facts


_RECORD_READERS: Final = {
    "social-care": _social_care,
    "early-help": _early_help,
    "police": _police,
    "health": _health,
}


# (available, found, match) fact names of each kind, spelt once rather than per child.
_CHECK_NAMES: Final = {
    kind: (f"{prefix}_available", f"{prefix}_found", f"{prefix}_match")
    for kind, prefix in CHECK_PREFIXES.items()
}


def _check_facts(kind: str, check: CheckResult | None, on: date) -> dict[str, Any]:
    """The facts one check contributes. A kind missing from the checks is unavailable."""
    available, found, match = _CHECK_NAMES[kind]
    if check is None or check.outcome == "UNAVAILABLE":
        return {available: False}
    if check.outcome != "FOUND" or check.record is None:
        return {available: True}
    confident = is_confirmed(check)
    facts: dict[str, Any] = {available: True, found: confident, match: check.match}
    facts.update(_RECORD_READERS[kind](check.record.attributes, on, confident))
    return facts


def records_facts(checks: Mapping[str, CheckResult], on: date) -> dict[str, Any]:
    """The check facts of one child (defaults included), see the module docstring."""
    facts: dict[str, Any] = {}
    unavailable: list[str] = []
    uncertain = False
    for kind, (available, _, _) in _CHECK_NAMES.items():
        check = checks.get(kind)
        part = _check_facts(kind, check, on)
        if not part[available]:
            unavailable.append(kind)
        uncertain = uncertain or (check is not None and is_uncertain(check))
        facts.update(part)
    facts["checks_unavailable"] = unavailable
    facts["identity_uncertain"] = uncertain
    return facts


# --------------------------------------------------------------------------- entry point

_BASE: Final = {
    name: spec.default for name, spec in FACTS.items() if not spec.derived and spec.type is not list
}


def child_facts(
    referral: Referral,
    child: Child,
    checks: Mapping[str, CheckResult],
    narrative: NarrativeScan = NO_CONCERNS,
) -> dict[str, Any]:
    """The enriched child the rules see: referral, child and checks as flat typed facts.

    Ages are taken on the day the hub received the referral, so a replay of the same referral
    gives the same facts. ``narrative`` is what the rule set read in the referral's free text
    (:meth:`mash.domain.thresholds.RuleSet.read_narrative`, once per referral). The domestic
    abuse screening facts (``da_screening_*``) are not set here: their weights belong to the
    rule set, which adds them when it evaluates (:meth:`mash.domain.thresholds.RuleSet.evaluate`
    returns the completed facts).
    """
    on = referral.received_at.date()
    facts: dict[str, Any] = dict(_BASE)
    facts.update(_referral_facts(referral, narrative))
    facts.update(
        _child_facts(child, on, referral.incident_type is not None, referral.disclosure_by_child)
    )
    if not facts["injury_present"] and child.injured is not False:
        # An injury the narrative describes is the child's unless the referrer answered that
        # this child was not injured: then it is someone else's (in a police notification,
        # usually the victim's), and saying "injury to the baby" would put a falsehood on record.
        facts.update(_narrative_injury(facts["narrative_concerns"]))
    facts.update(_narrative_answers(facts))
    facts["narrative_level"] = narrative_level(narrative, facts)
    facts.update(records_facts(checks, on))
    officer = referral.previous_incidents_12m or 0
    repeats_told = facts["domestic_abuse"] and "repeat_incidents" in facts["narrative_concerns"]
    narrated = NARRATIVE_REPEAT_INCIDENTS if repeats_told else 0
    facts["repeat_incidents_12m"] = max(officer, facts["police_domestic_incidents_12m"], narrated)
    return facts


def facts_problems(facts: Mapping[str, Any]) -> list[str]:
    """What is wrong with a facts dict (missing, unknown or wrongly typed facts), for tests
    and for re-evaluating logged facts. Empty when the facts are complete and well typed."""
    problems = [
        f"missing fact {name}" for name in FACTS if name not in facts and not FACTS[name].derived
    ]
    for name, value in facts.items():
        spec = FACTS.get(name)
        if spec is None:
            problems.append(f"unknown fact {name}")
        elif not _has_type(value, spec.type):
            problems.append(f"fact {name} is not {spec.type.__name__}")
    return problems


def _has_type(value: Any, kind: type) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind is list:
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, kind)
