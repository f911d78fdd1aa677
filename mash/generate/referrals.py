"""Agency referrals in each agency's own format (DESIGN.md, "Agency inputs").

One builder per agency turns a household, the referral's subject child and a scenario into the
JSON-ready dict the agency would publish: police in snake_case with ``children[]`` and
``adults[]`` (schema v1, or v2 with ``dash_score`` and the other v2 fields), health in
camelCase with one ``patient``, council with one ``child``. Values are what JSON Lines carry:
ISO-8601 dates (``2020-05-14``) and UTC times (``2026-11-23T22:40:00Z``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from mash.generate.mix import Scenario, draw_codes
from mash.generate.narratives import CHILD_VOICE, domestic_abuse_narrative, narrative
from mash.generate.population import Household, Parent, Person
from mash.generate.reference import name_pools
from mash.generate.render import STYLES, render
from mash.generate.sampling import Weighted, chance

DASH_RISK: Weighted[str] = Weighted.from_mapping(
    {"STANDARD": 52, "MEDIUM": 30, "HIGH": 13, "NOT_ASSESSED": 5}
)
"""DASH grading of police domestic abuse notifications with children in the household (most
standard, about one in eight high: SafeLives' national picture)."""

FORCES: Weighted[str] = Weighted.from_mapping({"CLE": 93, "DUR": 5, "NYP": 2})
"""Cleveland Police covers Stockton; neighbouring forces notify about children living here."""

_STRANGULATION = {"HIGH": 0.35, "MEDIUM": 0.08, "STANDARD": 0.01, "NOT_ASSESSED": 0.03}
_WEAPON = {"HIGH": 0.25, "MEDIUM": 0.07, "STANDARD": 0.01, "NOT_ASSESSED": 0.03}
_MARAC = {"HIGH": 0.9, "MEDIUM": 0.04, "STANDARD": 0.0, "NOT_ASSESSED": 0.0}
_POLICE_HOURS: Weighted[int] = Weighted.of(
    enumerate((4, 3, 2, 2, 1, 1, 1, 2, 3, 3, 3, 3, 3, 3, 3, 4, 4, 5, 6, 7, 7, 7, 6, 5))
)
"""Hour of day of incidents: domestic abuse peaks in the evening and at night."""
_BABY_INJURIES: Weighted[str] = Weighted.from_mapping(
    {"BRUISE": 45, "HEAD_INJURY": 20, "FRACTURE": 15, "BURN": 10, "BITE": 5, "OTHER": 5}
)
_CHILD_INJURIES: Weighted[str] = Weighted.from_mapping(
    {"BRUISE": 30, "FRACTURE": 20, "HEAD_INJURY": 10, "BURN": 10, "BITE": 10, "OTHER": 20}
)
_HEALTH_ODS: dict[str, Weighted[str]] = {
    "EMERGENCY_DEPARTMENT": Weighted.from_mapping({"RVW": 85, "RTR": 15}),
    "HEALTH_VISITOR": Weighted.from_mapping({"RVW": 1}),
    "SCHOOL_NURSE": Weighted.from_mapping({"RVW": 1}),
    "MIDWIFERY": Weighted.from_mapping({"RVW": 90, "RTR": 10}),
    "CAMHS": Weighted.from_mapping({"RX3": 1}),
    "OTHER": Weighted.from_mapping({"RVW": 70, "RTR": 30}),
}
"""ODS codes: North Tees and Hartlepool (RVW), South Tees (RTR), Tees Esk and Wear Valleys
(RX3); GP practices get A81xxx codes (the Tees practices' prefix)."""

_UPN_ON_FILE = {"SCHOOL": 0.97, "EDUCATION_WELFARE": 1.0}


@dataclass(frozen=True, slots=True)
class ReferralContext:
    """What a builder needs besides the family: when, and the reference to use."""

    day: date
    reference: str
    school_urns: tuple[str, ...]


def iso_time(moment: datetime) -> str:
    """UTC time as the agency JSON Lines carry it: ``2026-11-23T22:40:00Z``."""
    return moment.isoformat(timespec="seconds") + "Z"


def _time_on(rng: Random, day: date, first_hour: float, last_hour: float) -> datetime:
    seconds = int(rng.uniform(first_hour, last_hour) * 3600)
    return datetime(day.year, day.month, day.day) + timedelta(seconds=seconds)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def dash_score(rng: Random, risk: str) -> int | None:
    """Yes-answers on the 27-question DASH checklist, consistent with the grading: 14+ is
    "visible high risk"; a HIGH below 14 is professional judgement (about one in seven)."""
    if risk == "NOT_ASSESSED":
        return None
    if risk == "STANDARD":
        return int(rng.triangular(0, 9.99, 3))
    if risk == "MEDIUM":
        return rng.randint(10, 13)
    return int(rng.triangular(14, 27.99, 16)) if chance(rng, 0.85) else rng.randint(8, 13)


# --- police -------------------------------------------------------------------------------


def _adult(rng: Random, role: str, parent: Parent) -> dict[str, Any]:
    adult: dict[str, Any] = {"role": role, "forenames": parent.forename, "surname": parent.surname}
    if not chance(rng, 0.08):  # deliberately imperfect: officers often lack an adult's dob
        adult["dob"] = parent.dob.isoformat()
    return adult


def _ex_partner(rng: Random, household: Household) -> Parent:
    """The children's father no longer living there (the suspect when there is no partner)."""
    mother = household.mother
    dob = mother.dob - timedelta(days=rng.randint(-800, 2500))
    return Parent("M", _father_forename(rng, household), household.father_surname, dob)


def _father_forename(rng: Random, household: Household) -> str:
    return name_pools().pool(household.group, "man").pick(rng)


def _victim_and_suspect(rng: Random, household: Household) -> tuple[Parent, Parent]:
    partner = household.partner
    if partner is not None and chance(rng, 0.18):
        return partner, household.mother
    return household.mother, partner if partner is not None else _ex_partner(rng, household)


def police_referral(
    rng: Random,
    ctx: ReferralContext,
    household: Household,
    subject: Person,
    incident_type: str,
    scenario: Scenario,
    v2: bool,
) -> tuple[dict[str, Any], list[Person]]:
    """A police notification (PPN) and the children it names, eldest first."""
    children = household.born_children() if scenario.whole_household else [subject]
    incident_at = datetime(ctx.day.year, ctx.day.month, ctx.day.day) + timedelta(
        hours=_POLICE_HOURS.pick(rng), seconds=int(rng.random() * 3600)
    )
    domestic = incident_type == "DOMESTIC_ABUSE"
    risk = DASH_RISK.pick(rng) if domestic else "NOT_ASSESSED"
    strangulation = domestic and chance(rng, _STRANGULATION[risk])
    weapon = domestic and chance(rng, _WEAPON[risk])
    marac = domestic and chance(rng, _MARAC[risk])
    codes, _ = draw_codes(rng, scenario, subject.age_years(ctx.day), subject.sex)
    adults: list[dict[str, Any]] = []
    victim: Parent | None = None
    if domestic:
        victim, suspect = _victim_and_suspect(rng, household)
        adults = [_adult(rng, "VICTIM", victim), _adult(rng, "SUSPECT", suspect)]
    elif chance(rng, 0.4):
        adults = [_adult(rng, "OTHER", household.mother)]
    style = STYLES["police"]
    injured_p = scenario.injury * (3 if weapon else 1)
    rows = []
    for child in children:
        shown = render(rng, style, child, household)
        present = chance(rng, 0.6) if domestic else (child is subject or chance(rng, 0.7))
        row: dict[str, Any] = {
            "forenames": shown.forenames,
            "surname": shown.surname,
            "dob": _iso(shown.dob),
            "nhs_number": shown.nhs,
            "postcode": shown.postcode,
            "present_at_incident": present,
            "injured": present and chance(rng, injured_p),
        }
        if v2:
            row["relationship_to_victim"] = _relationship(rng, child, victim, household)
        rows.append(row)
    present_count = sum(1 for row in rows if row["present_at_incident"])
    value: dict[str, Any] = {
        "ppn_id": ctx.reference,
        "force_code": FORCES.pick(rng),
        "incident_at": iso_time(incident_at),
        "incident_type": incident_type,
        "dash_risk": risk,
    }
    if v2:
        value["dash_score"] = dash_score(rng, risk)
    value |= {
        "children": rows,
        "adults": adults,
        "concern_codes": codes,
        "non_fatal_strangulation": strangulation,
        "weapon_used": weapon,
        "victim_pregnant": (
            domestic and victim is not None and victim.sex == "F" and chance(rng, 0.04)
        ),
        "marac_referral": marac,
    }
    if v2:
        value |= _police_v2_extras(rng, value, household, incident_at, present_count)
    value["narrative"] = (
        domestic_abuse_narrative(risk, len(rows), present_count, strangulation, weapon, marac)
        if domestic
        else narrative(rng, scenario.key)
    )
    return value, children


def _relationship(
    rng: Random, child: Person, victim: Parent | None, household: Household
) -> str | None:
    if victim is None or chance(rng, 0.1):
        return None
    if victim.sex == "F" or victim.surname == child.surname:
        return "CHILD"
    return "STEPCHILD" if victim.surname != household.father_surname else "CHILD"


def _police_v2_extras(
    rng: Random,
    value: dict[str, Any],
    household: Household,
    incident_at: datetime,
    present: int,
) -> dict[str, Any]:
    """Schema v2 additions: report time, crime number, officer, force history, child's voice.
    The force's own count of previous incidents agrees with its person records."""
    domestic = value["incident_type"] == "DOMESTIC_ABUSE"
    reported = incident_at + timedelta(minutes=int(rng.uniform(30, 36 * 60)))
    crime = chance(rng, 0.55 if domestic else 0.4)
    return {
        "reported_at": iso_time(reported),
        "crime_reference": (
            f"{value['force_code']}/{reported.year % 100:02d}/{rng.randint(100000, 999999)}"
            if crime
            else None
        ),
        "officer_id": f"{value['force_code']}{rng.randint(1000, 9999)}",
        "previous_incidents_12m": (
            household.history.police_incidents_12m if domestic and chance(rng, 0.75) else None
        ),
        "child_voice": (
            CHILD_VOICE[int(rng.random() * len(CHILD_VOICE))]
            if present and chance(rng, 0.3)
            else None
        ),
    }


# --- health -------------------------------------------------------------------------------


def _injury(rng: Random, scenario: Scenario, age: float | None) -> dict[str, Any] | None:
    if age is None or not chance(rng, scenario.injury):
        return None
    kinds = _BABY_INJURIES if age < 2 else _CHILD_INJURIES
    consistent: bool | None = None
    if not chance(rng, 0.1):
        consistent = chance(rng, 0.55 if age < 2 else 0.75)
    return {"present": True, "kind": kinds.pick(rng), "explanationConsistent": consistent}


def _mobile(rng: Random, age: float | None, injury: dict[str, Any] | None) -> bool | None:
    """Only recorded for babies and toddlers: pre-mobile is what makes a bruise alarming."""
    if age is None or age >= 2 or not (injury or chance(rng, 0.3)):
        return None
    return age > rng.uniform(0.5, 1.0)


def _consent(rng: Random, severe: bool) -> str:
    roll = rng.random()
    if severe:
        return "NOT_SOUGHT_RISK_OF_HARM" if roll < 0.6 else "GIVEN" if roll < 0.9 else "REFUSED"
    if roll < 0.72:
        return "GIVEN"
    if roll < 0.82:
        return "REFUSED"
    return "NOT_SOUGHT_RISK_OF_HARM" if roll < 0.95 else "NOT_RECORDED"


def health_referral(
    rng: Random,
    ctx: ReferralContext,
    household: Household,
    subject: Person,
    setting: str,
    scenario: Scenario,
) -> tuple[dict[str, Any], list[Person]]:
    """An NHS safeguarding referral about one child or unborn baby."""
    shown = render(rng, STYLES["health"], subject, household)
    age = subject.age_years(ctx.day)
    codes, indicators = draw_codes(rng, scenario, age, subject.sex)
    injury = _injury(rng, scenario, age)
    unborn = subject.dob is None
    severe = scenario.severe or bool(injury and injury["explanationConsistent"] is False)
    ods = f"A81{rng.randint(1, 70):03d}" if setting == "GP" else _HEALTH_ODS[setting].pick(rng)
    first_hour, last_hour = (0.0, 24.0) if setting == "EMERGENCY_DEPARTMENT" else (8.0, 18.5)
    value: dict[str, Any] = {
        "referralId": ctx.reference,
        "odsCode": ods,
        "setting": setting,
        "patient": {
            "nhsNumber": None if unborn else shown.nhs,
            "givenName": "Baby" if unborn else shown.forenames,
            "familyName": shown.surname,
            "birthDate": _iso(shown.dob),
            "postcode": shown.postcode,
            "unborn": unborn,
            "expectedDeliveryDate": _iso(subject.edd),
        },
        "concernCodes": codes,
        "healthIndicators": indicators,
        "injury": injury,
        "childIsMobile": _mobile(rng, age, injury),
        "consent": _consent(rng, severe),
        "clinicalNarrative": narrative(rng, scenario.key),
        "referredAt": (
            iso_time(_time_on(rng, ctx.day, first_hour, last_hour)) if chance(rng, 0.85) else None
        ),
    }
    return value, [subject]


# --- council ------------------------------------------------------------------------------


def attendance(rng: Random, service: str, scenario: Scenario) -> float:
    """Attendance this term, one decimal: most pupils above 95%; persistent absence (under
    90%) for about a fifth of referred pupils, far more for education welfare referrals."""
    low = service == "EDUCATION_WELFARE" or scenario.key in ("neglect", "young-carer")
    roll = rng.random()
    if low:
        value = rng.uniform(35, 88) if roll < 0.8 else rng.uniform(88, 96)
    elif roll < 0.5:
        value = rng.uniform(95, 100)
    elif roll < 0.78:
        value = rng.uniform(90, 95)
    elif roll < 0.95:
        value = rng.uniform(80, 90)
    else:
        value = rng.uniform(40, 80)
    return round(value, 1)


def _support(rng: Random, service: str, scenario: Scenario) -> str:
    if scenario.key == "advice":
        return "ADVICE"
    if scenario.severe:
        return "ASSESSMENT"
    roll = rng.random()
    if service == "EARLY_HELP":
        return "ASSESSMENT" if roll < 0.75 else "EARLY_HELP"
    return "EARLY_HELP" if roll < 0.55 else "ASSESSMENT" if roll < 0.85 else "ADVICE"


def council_referral(
    rng: Random,
    ctx: ReferralContext,
    household: Household,
    subject: Person,
    service: str,
    scenario: Scenario,
) -> tuple[dict[str, Any], list[Person]]:
    """A council request for support about one child."""
    shown = render(rng, STYLES["council"], subject, household)
    age = subject.age_years(ctx.day) or 0.0
    codes, _ = draw_codes(rng, scenario, age, subject.sex)
    disclosure = "disclosure" in scenario.key and chance(rng, 0.85)
    school_age = 5 <= age < 16
    reports_attendance = school_age and chance(
        rng, {"SCHOOL": 0.75, "EDUCATION_WELFARE": 1.0}.get(service, 0.08)
    )
    upn = subject.upn if chance(rng, _UPN_ON_FILE.get(service, 0.5)) else None
    value: dict[str, Any] = {
        "request_ref": ctx.reference,
        "service": service,
        "child": {
            "first_name": shown.forenames,
            "last_name": shown.surname,
            "date_of_birth": _iso(shown.dob),
            "upn": upn,
            "nhs_number": shown.nhs,
            "postcode": shown.postcode,
        },
        "concern_codes": codes,
        "disclosure_by_child": disclosure or (age >= 4 and chance(rng, 0.08)),
        "attendance_percent": attendance(rng, service, scenario) if reports_attendance else None,
        "family_consent": chance(rng, 0.25 if scenario.severe else 0.8),
        "support_requested": _support(rng, service, scenario),
        "description": narrative(rng, scenario.key),
        "requested_at": (iso_time(_time_on(rng, ctx.day, 8.5, 17.0)) if chance(rng, 0.9) else None),
        "school_urn": (
            ctx.school_urns[int(rng.random() * len(ctx.school_urns))]
            if service == "SCHOOL"
            else None
        ),
    }
    return value, [subject]
