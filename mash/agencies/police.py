"""Police child concern and domestic abuse notifications (PPNs) -> canonical referral.

One notification names every child the officer came across; each becomes a canonical child in
the officer's order (``child_index``). The DfE CIN referral source of every police referral is
``6``. Every live schema version maps here: v1; v2, which adds ``dash_score``, the officer's
count of previous incidents and a few officer details; v3, which adds the DASH high-risk markers
(threats to kill, sexual violence, stalking, separation, threats to the children), an
incapacitated carer, the officer's request and, per child, an unborn baby, a disability, a
child found alone and police protection. ``schema_version`` is the oldest version that can
carry what the record says, so a v1 notification reads the same whether it came as JSON or as
Avro resolved to the newest reader, and its input digest does too.

The unborn baby of a pregnant victim is a child of the household too (pre-birth protocols ask
for a referral when there is domestic abuse in pregnancy): when ``victim_pregnant`` is true and
no listed child is marked unborn, the notification gains one unborn child after the listed
ones. So a notification whose only child is unborn is routed, not dead-lettered as having no
children.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies._read import Reader, optional_enum, referral_id
from mash.domain.codes import SEXUAL_BEHAVIOURS, SUPPORT_REQUESTS
from mash.domain.referral import Adult, Child, Referral
from mash.domain.values import as_utc

SOURCE_CODE: Final = "6"
INCIDENT_TYPES: Final = frozenset(
    {
        "DOMESTIC_ABUSE",
        "CHILD_CONCERN",
        "MISSING_PERSON",
        "CHILD_EXPLOITATION",
        "ONLINE_HARM",
        "OTHER",
    }
)
DASH_RISKS: Final = frozenset({"STANDARD", "MEDIUM", "HIGH", "NOT_ASSESSED"})
ROLES: Final = frozenset({"VICTIM", "SUSPECT", "OTHER"})
DASH_QUESTIONS: Final = 27  # the SafeLives DASH risk checklist has 27 questions
V2_FIELDS: Final = (
    "dash_score",
    "reported_at",
    "crime_reference",
    "officer_id",
    "previous_incidents_12m",
    "child_voice",
)
"""Fields a v1 notification cannot carry: a notification using one is at least v2."""
# v3's yes/no questions (None: not asked); police fields carry the canonical names.
_V3_ANSWERS: Final = ("threats_to_kill", "sexual_violence", "stalking", "separation")
_V3_FIELDS: Final = (
    *_V3_ANSWERS,
    "threats_to_children",
    "carer_incapacitated",
    "adult_posing_risk",
    "officer_request",
)
_V3_CHILD_ANSWERS: Final = (
    "mobile",
    "disability",
    "found_alone",
    "police_protection",
    "disclosure",
    "suicidal_plans",
    "sexually_active",
    "older_partner",
    "in_parent_delusions",
)
_V3_CHILD_FIELDS: Final = (
    *_V3_CHILD_ANSWERS,
    "unborn",
    "expected_delivery_date",
    "harmful_sexual_behaviour",
)
_SAME_NAMES: Final = {
    names: {name: name for name in names} for names in (_V3_ANSWERS, _V3_CHILD_ANSWERS)
}
_BEHAVIOURS: Final = frozenset(SEXUAL_BEHAVIOURS)
MAX_INCIDENTS: Final = 1000  # a household count above this is a data error, not a history


def _child(read: Reader, where: str, index: int, obj: Mapping[str, Any]) -> Child:
    unborn = read.maybe(obj, "unborn", where) is True
    return read.child(
        where,
        index,
        forenames=read.name(obj, "forenames", where),
        surname=read.name(obj, "surname", where),
        # An unborn baby has no date of birth, whatever a sending system put in the field.
        dob=None if unborn else read.day(obj, "dob", where),
        nhs_number=obj.get("nhs_number"),
        postcode=obj.get("postcode"),
        unborn=unborn,
        expected_delivery_date=read.day(obj, "expected_delivery_date", where),
        present_at_incident=read.maybe(obj, "present_at_incident", where),
        injured=read.maybe(obj, "injured", where),
        **read.answers(obj, _SAME_NAMES[_V3_CHILD_ANSWERS], where),
        sexual_behaviour=optional_enum(
            read, obj, "harmful_sexual_behaviour", _BEHAVIOURS, "ABUSIVE", where
        ),
    )


def _unborn_of_victim(children: tuple[Child, ...], adults: tuple[Adult, ...]) -> Child:
    """The pregnant victim's unborn baby, after the listed children (see the module doc).
    Its only identity is the household's: the victim's surname and the listed children's
    postcode, so staff can find the mother; checks are never run on an unborn baby."""
    victim = next((adult for adult in adults if adult.role == "VICTIM"), None)
    postcode = next((child.postcode for child in children if child.postcode), None)
    return Child(
        index=len(children),
        forenames=None,
        surname=victim.surname if victim else None,
        dob=None,
        postcode=postcode,
        unborn=True,
    )


def _children(
    read: Reader, record: Mapping[str, Any], adults: tuple[Adult, ...], pregnant: bool
) -> tuple[Child, ...]:
    children = tuple(
        _child(read, where, index, obj)
        for index, (where, obj) in enumerate(read.objects(record, "children"))
    )
    if pregnant and not any(child.unborn for child in children):
        children = (*children, _unborn_of_victim(children, adults))
    if not children:
        read.fail("children", "", "is empty")
    return children


def _version(record: Mapping[str, Any]) -> int:
    children = record.get("children")
    listed = children if isinstance(children, list) else []
    if any(record.get(key) is not None for key in _V3_FIELDS) or any(
        isinstance(child, Mapping) and child.get(key) is not None
        for child in listed
        for key in _V3_CHILD_FIELDS
    ):
        return 3
    return 2 if any(record.get(key) is not None for key in V2_FIELDS) else 1


def _adult(read: Reader, where: str, obj: Mapping[str, Any]) -> Adult:
    return Adult(
        role=read.enum(obj, "role", ROLES, "OTHER", where),
        forenames=read.name(obj, "forenames", where),
        surname=read.name(obj, "surname", where),
        dob=read.day(obj, "dob", where),
    )


def _narrative(read: Reader, record: Mapping[str, Any]) -> str:
    # The child's own words (v2) matter most to the social worker reading the notification,
    # so they travel with the narrative; neither is ever used by rules or logged.
    narrative = read.text(record, "narrative") or ""
    voice = read.text(record, "child_voice")
    return f"{narrative}\n\nChild's voice: {voice}" if voice else narrative


def to_referral(record: Mapping[str, Any], received_at: datetime) -> Referral:
    """A police notification (JSON or Avro-decoded form, v1 or v2) as a canonical referral."""
    read = Reader("police", referral_id("police", record, "ppn_id"))
    adults = tuple(_adult(read, where, obj) for where, obj in read.objects(record, "adults"))
    pregnant = read.flag(record, "victim_pregnant")
    incapacitated = read.maybe(record, "carer_incapacitated")
    return Referral(
        agency="police",
        source_id=read.ref,
        source_code=SOURCE_CODE,
        received_at=as_utc(received_at),
        children=_children(read, record, adults, pregnant),
        occurred_at=read.moment(record, "incident_at"),
        concern_codes=read.codes(record, "concern_codes"),
        adults=adults,
        incident_type=read.enum(record, "incident_type", INCIDENT_TYPES, "OTHER"),
        dash_risk=read.enum(record, "dash_risk", DASH_RISKS, "NOT_ASSESSED"),
        dash_score=read.whole(record, "dash_score", 0, DASH_QUESTIONS),
        non_fatal_strangulation=read.flag(record, "non_fatal_strangulation"),
        weapon_used=read.flag(record, "weapon_used"),
        victim_pregnant=pregnant,
        marac_referral=read.flag(record, "marac_referral"),
        support_requested=_request(read, record),
        consent="NOT_RECORDED",
        narrative=_narrative(read, record),
        schema_version=_version(record),
        **read.answers(record, _SAME_NAMES[_V3_ANSWERS]),
        threats_to_children=read.maybe(record, "threats_to_children"),
        previous_incidents_12m=read.whole(record, "previous_incidents_12m", 0, MAX_INCIDENTS),
        # An incapacitated carer with no other capable carer present (the v3 field's meaning)
        # is exactly "care seriously affected, sole carer" at the time of the incident.
        care_seriously_affected=incapacitated,
        sole_carer=incapacitated,
        adult_posing_risk=read.maybe(record, "adult_posing_risk"),
    )


def _request(read: Reader, record: Mapping[str, Any]) -> str | None:
    # Absent means the officer asked nothing in particular; an unknown request reads as a
    # strategy discussion (the schema's default: fail upward).
    if record.get("officer_request") is None:
        return None
    return read.enum(record, "officer_request", SUPPORT_REQUESTS, "STRATEGY_DISCUSSION")
