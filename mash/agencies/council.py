"""Council requests for support (schools, education welfare, early help, housing, youth
justice, adult services) -> canonical referral.

DfE CIN census referral source, by service:

=================  ====  ======================================================================
SCHOOL             2A    "Schools".
EDUCATION_WELFARE  2B    "Education services".
ADULT_SERVICES     5A    "LA services - social care, e.g. adults' social care".
EARLY_HELP         5D    "LA services - early help" (the census has its own code for it).
YOUTH_JUSTICE      5B    The youth justice service is an LA-led partnership hosted by the
                         council, so an internal LA service, not "7 other legal agency" (courts,
                         probation, CAFCASS).
HOUSING            4     "Housing" (LA housing or housing association).
OTHER              8     "Other".
=================  ====  ======================================================================

Version 2 adds an injury the referrer saw (kind, site, explanation, mobility: schools and
nurseries see injuries first), how often a young person uses substances, and what the level-4
indicators of threshold guidance need (a carer's illness seriously affecting care, a sole
carer, a child within a parent's delusions, suicidal plans, sexual activity, harmful sexual
behaviour, a child left alone, siblings' history, disability); each is ``None`` when the form
did not ask.

Consent: the form asks whether the family agrees to the request. ``true`` is GIVEN; ``false`` is
REFUSED (the family's answer as the referrer recorded it); a missing answer is NOT_RECORDED.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies._read import Reader, optional_enum, referral_id
from mash.domain.codes import (
    INJURY_KINDS,
    INJURY_SITES,
    SEXUAL_BEHAVIOURS,
    SUBSTANCE_USE,
    SUPPORT_REQUESTS,
)
from mash.domain.referral import Child, Referral
from mash.domain.values import as_utc

SOURCE_BY_SERVICE: Final[Mapping[str, str]] = {
    "SCHOOL": "2A",
    "EDUCATION_WELFARE": "2B",
    "ADULT_SERVICES": "5A",
    "EARLY_HELP": "5D",
    "YOUTH_JUSTICE": "5B",
    "HOUSING": "4",
    "OTHER": "8",
}
SERVICES: Final = frozenset(SOURCE_BY_SERVICE)
_BEHAVIOURS: Final = frozenset(SEXUAL_BEHAVIOURS)
_SUBSTANCE_USE: Final = frozenset(SUBSTANCE_USE)
# Yes/no questions of the form (None: not asked), by the canonical field each answers.
_CHILD_ANSWERS: Final[Mapping[str, str]] = {
    "disability": "child_has_disability",
    "found_alone": "left_alone",
    "suicidal_plans": "suicidal_plans",
    "sexually_transmitted_infection": "sexually_transmitted_infection",
    "sexually_active": "sexually_active",
    "older_partner": "older_partner",
    "in_parent_delusions": "child_in_parent_delusions",
}
_REFERRAL_ANSWERS: Final[Mapping[str, str]] = {
    "care_seriously_affected": "care_seriously_affected",
    "sole_carer": "sole_carer",
    "adult_posing_risk": "adult_posing_risk",
    "family_homeless": "family_homeless",
    "community_harm": "community_harm",
    "child_not_seen": "child_not_seen",
    "threats_to_kill": "da_threats_to_kill",
    "sibling_on_plan": "sibling_on_plan",
    "sibling_removed": "sibling_removed",
}
# Markers of the household's domestic abuse as the referrer heard of them (see health).
_DA_MARKERS: Final[Mapping[str, str]] = {
    "non_fatal_strangulation": "da_strangulation",
    "weapon_used": "da_weapon",
    "marac_referral": "da_marac_referral",
}
_V2_FIELDS: Final = (
    *_CHILD_ANSWERS.values(),
    *_REFERRAL_ANSWERS.values(),
    *_DA_MARKERS.values(),
    "injury",
    "substance_use",
    "harmful_sexual_behaviour",
    "pregnant",
)


def _child(read: Reader, record: Mapping[str, Any]) -> Child:
    child = read.mapping(record, "child")
    if child is None:
        read.fail("child", "", "is missing")
    unborn = read.maybe(child, "unborn", "child") is True
    return read.child(
        "child",
        0,
        forenames=read.name(child, "first_name", "child"),
        surname=read.name(child, "last_name", "child"),
        # An unborn baby has no date of birth, whatever a sending system put in the field.
        dob=None if unborn else read.day(child, "date_of_birth", "child"),
        unborn=unborn,
        expected_delivery_date=read.day(child, "expected_delivery_date", "child"),
        nhs_number=child.get("nhs_number"),
        upn=child.get("upn"),
        postcode=child.get("postcode"),
        sexual_behaviour=optional_enum(
            read, record, "harmful_sexual_behaviour", _BEHAVIOURS, "ABUSIVE"
        ),
        substance_use=optional_enum(read, record, "substance_use", _SUBSTANCE_USE, "DAILY"),
        **read.answers(record, _CHILD_ANSWERS),
        **_injury(read, record),
    )


def _injury(read: Reader, record: Mapping[str, Any]) -> dict[str, Any]:
    """The injury the referrer saw: its presence is the record itself (v2 has no separate
    "present" flag), so a record with any content is an injury."""
    injury = read.mapping(record, "injury")
    if injury is None:
        return {}
    return {
        "injured": True,
        "injury_kind": read.enum(injury, "kind", INJURY_KINDS, "OTHER", "injury"),
        "injury_site": optional_enum(read, injury, "site", INJURY_SITES, "OTHER", "injury"),
        "injury_patterned": read.maybe(injury, "patterned", "injury"),
        "injury_explanation_consistent": read.maybe(injury, "explanation_consistent", "injury"),
        "mobile": read.maybe(injury, "child_is_mobile", "injury"),
    }


def _consent(read: Reader, record: Mapping[str, Any]) -> str:
    agreed = read.maybe(record, "family_consent")
    return "NOT_RECORDED" if agreed is None else "GIVEN" if agreed else "REFUSED"


def to_referral(record: Mapping[str, Any], received_at: datetime) -> Referral:
    """A council request for support (JSON or Avro-decoded form) as a canonical referral."""
    read = Reader("council", referral_id("council", record, "request_ref"))
    service = read.enum(record, "service", SERVICES, "OTHER")
    return Referral(
        agency="council",
        source_id=read.ref,
        source_code=SOURCE_BY_SERVICE[service],
        received_at=as_utc(received_at),
        children=(_child(read, record),),
        occurred_at=read.moment(record, "requested_at"),
        concern_codes=read.codes(record, "concern_codes"),
        service=service,
        disclosure_by_child=read.flag(record, "disclosure_by_child"),
        attendance_percent=read.number(record, "attendance_percent", 0, 100),
        support_requested=read.enum(record, "support_requested", SUPPORT_REQUESTS, "ASSESSMENT"),
        consent=_consent(read, record),
        narrative=read.text(record, "description") or "",
        schema_version=_version(record),
        **read.answers(record, _REFERRAL_ANSWERS),
        **read.flags(record, _DA_MARKERS),
        health_indicators=frozenset({"PREGNANT"})
        if read.maybe(record, "pregnant")
        else frozenset(),
    )


def _version(record: Mapping[str, Any]) -> int:
    """The oldest schema version that can carry what the record says (see police)."""
    child = record.get("child")
    if any(record.get(key) is not None for key in _V2_FIELDS):
        return 2
    if isinstance(child, Mapping) and (
        child.get("unborn") is not None
        or child.get("expected_delivery_date") is not None
        or child.get("date_of_birth") is None
    ):
        return 2
    return 1
