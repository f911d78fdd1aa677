"""NHS safeguarding referrals (camelCase, FHIR-like) -> canonical referral.

A health referral is about one patient: the child, or an unborn baby (``unborn``: no date of
birth, an expected delivery date instead). Version 2 adds the injury's site and what the
level-4 indicators of threshold guidance need (a carer's illness seriously affecting care, a
sole carer, a child within a parent's delusions, suicidal plans, a sexually transmitted
infection, sexual activity, harmful sexual behaviour, siblings' history, disability) and the
response the clinician asks for; each is ``None`` when the form did not ask.

DfE CIN census referral source, by setting:

=====================  ====  ==================================================================
EMERGENCY_DEPARTMENT   3E    "Health services - A&E".
GP                     3A    "Health services - GP".
HEALTH_VISITOR         3B    "Health services - health visitor".
SCHOOL_NURSE           3C    "Health services - school nurse".
MIDWIFERY              3D    "Other primary health services": pre-birth safeguarding referrals
                             come mostly from community midwives (booking and home visits),
                             first-contact care outside hospital like the other 3A-3C sources.
CAMHS                  3F    "Health services - other": specialist (secondary) mental health.
OTHER                  3F    Anything else from a health body is "other health services"; 3F is
                             the census's catch-all, where 3D would claim primary care we can't
                             confirm.
=====================  ====  ==================================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies._read import Reader, optional_enum, referral_id
from mash.domain.codes import (
    HEALTH_INDICATORS,
    INJURY_KINDS,
    INJURY_SITES,
    SEXUAL_BEHAVIOURS,
    SUBSTANCE_USE,
    SUPPORT_REQUESTS,
)
from mash.domain.referral import Child, Referral
from mash.domain.values import as_utc

SOURCE_BY_SETTING: Final[Mapping[str, str]] = {
    "EMERGENCY_DEPARTMENT": "3E",
    "GP": "3A",
    "HEALTH_VISITOR": "3B",
    "SCHOOL_NURSE": "3C",
    "MIDWIFERY": "3D",
    "CAMHS": "3F",
    "OTHER": "3F",
}
SETTINGS: Final = frozenset(SOURCE_BY_SETTING)
CONSENTS: Final = frozenset({"GIVEN", "REFUSED", "NOT_SOUGHT_RISK_OF_HARM", "NOT_RECORDED"})
_BEHAVIOURS: Final = frozenset(SEXUAL_BEHAVIOURS)
_SUBSTANCE_USE: Final = frozenset(SUBSTANCE_USE)
# Yes/no questions of the form (None: not asked), by the canonical field each answers.
_CHILD_ANSWERS: Final[Mapping[str, str]] = {
    "disability": "childHasDisability",
    "disclosure": "disclosureByChild",
    "suicidal_plans": "suicidalPlans",
    "sexually_transmitted_infection": "sexuallyTransmittedInfection",
    "sexually_active": "sexuallyActive",
    "older_partner": "olderPartner",
    "in_parent_delusions": "childInParentDelusions",
}
_REFERRAL_ANSWERS: Final[Mapping[str, str]] = {
    "care_seriously_affected": "careSeriouslyAffected",
    "sole_carer": "soleCarer",
    "adult_posing_risk": "adultPosingRisk",
    "life_threatening_neglect": "lifeThreateningNeglect",
    "threats_to_kill": "daThreatsToKill",
    "sibling_on_plan": "siblingOnPlan",
    "sibling_removed": "siblingRemoved",
}
# Markers of the household's domestic abuse as the clinician heard of them: the same facts as
# a police officer's, so the child's screening weighs them alike.
_DA_MARKERS: Final[Mapping[str, str]] = {
    "non_fatal_strangulation": "daStrangulation",
    "weapon_used": "daWeapon",
    "marac_referral": "daMaracReferral",
}
_V2_FIELDS: Final = (
    *_CHILD_ANSWERS.values(),
    *_REFERRAL_ANSWERS.values(),
    *_DA_MARKERS.values(),
    "harmfulSexualBehaviour",
    "requestedResponse",
    "substanceUse",
)


def _injury(read: Reader, record: Mapping[str, Any]) -> dict[str, Any]:
    injury = read.mapping(record, "injury")
    if injury is None or not read.flag(injury, "present", "injury"):
        return {}
    return {
        "injured": True,
        "injury_kind": read.enum(injury, "kind", INJURY_KINDS, "OTHER", "injury"),
        "injury_explanation_consistent": read.maybe(injury, "explanationConsistent", "injury"),
        "injury_site": optional_enum(read, injury, "site", INJURY_SITES, "OTHER", "injury"),
        "injury_patterned": read.maybe(injury, "patterned", "injury"),
    }


def _patient(read: Reader, record: Mapping[str, Any]) -> Child:
    patient = read.mapping(record, "patient")
    if patient is None:
        read.fail("patient", "", "is missing")
    unborn = read.flag(patient, "unborn", "patient")
    # An unborn baby has no date of birth, whatever a sending system put in the field.
    dob = None if unborn else read.day(patient, "birthDate", "patient")
    return read.child(
        "patient",
        0,
        forenames=read.name(patient, "givenName", "patient"),
        surname=read.name(patient, "familyName", "patient"),
        dob=dob,
        nhs_number=patient.get("nhsNumber"),
        postcode=patient.get("postcode"),
        unborn=unborn,
        expected_delivery_date=read.day(patient, "expectedDeliveryDate", "patient"),
        mobile=read.maybe(record, "childIsMobile"),
        sexual_behaviour=optional_enum(
            read, record, "harmfulSexualBehaviour", _BEHAVIOURS, "ABUSIVE"
        ),
        substance_use=optional_enum(read, record, "substanceUse", _SUBSTANCE_USE, "DAILY"),
        **read.answers(record, _CHILD_ANSWERS),
        **_injury(read, record),
    )


def to_referral(record: Mapping[str, Any], received_at: datetime) -> Referral:
    """A health safeguarding referral (JSON or Avro-decoded form) as a canonical referral."""
    read = Reader("health", referral_id("health", record, "referralId"))
    setting = read.enum(record, "setting", SETTINGS, "OTHER")
    return Referral(
        agency="health",
        source_id=read.ref,
        source_code=SOURCE_BY_SETTING[setting],
        received_at=as_utc(received_at),
        children=(_patient(read, record),),
        occurred_at=read.moment(record, "referredAt"),
        concern_codes=read.codes(record, "concernCodes"),
        health_indicators=read.symbols(record, "healthIndicators", HEALTH_INDICATORS, "OTHER"),
        setting=setting,
        consent=read.enum(record, "consent", CONSENTS, "NOT_RECORDED"),
        narrative=read.text(record, "clinicalNarrative") or "",
        support_requested=optional_enum(
            read, record, "requestedResponse", SUPPORT_REQUESTS, "STRATEGY_DISCUSSION"
        ),
        schema_version=2 if any(record.get(key) is not None for key in _V2_FIELDS) else 1,
        **read.answers(record, _REFERRAL_ANSWERS),
        **read.flags(record, _DA_MARKERS),
    )
