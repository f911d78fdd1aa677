"""Police child concern and domestic abuse notifications (PPNs) -> canonical referral.

One notification names every child the officer came across; each becomes a canonical child in
the officer's order (``child_index``). The DfE CIN referral source of every police referral is
``6``. Both live schema versions map here: v1, and v2 which adds ``dash_score`` and a few
officer details. ``schema_version`` is the oldest version that can carry what the record says
(2 when any v2-only field has a value), so a v1 notification reads the same whether it came
as JSON or as Avro resolved to the v2 reader, and its input digest does too.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies._read import Reader, referral_id
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
_V2_FIELDS: Final = (
    "dash_score",
    "reported_at",
    "crime_reference",
    "officer_id",
    "previous_incidents_12m",
    "child_voice",
)


def _child(read: Reader, where: str, index: int, obj: Mapping[str, Any]) -> Child:
    return read.child(
        where,
        index,
        forenames=read.name(obj, "forenames", where),
        surname=read.name(obj, "surname", where),
        dob=read.day(obj, "dob", where),
        nhs_number=obj.get("nhs_number"),
        postcode=obj.get("postcode"),
        present_at_incident=read.maybe(obj, "present_at_incident", where),
        injured=read.maybe(obj, "injured", where),
    )


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
    children = tuple(
        _child(read, where, index, obj)
        for index, (where, obj) in enumerate(read.objects(record, "children"))
    )
    if not children:
        read.fail("children", "", "is empty")
    return Referral(
        agency="police",
        source_id=read.ref,
        source_code=SOURCE_CODE,
        received_at=as_utc(received_at),
        children=children,
        occurred_at=read.moment(record, "incident_at"),
        concern_codes=read.codes(record, "concern_codes"),
        adults=tuple(_adult(read, where, obj) for where, obj in read.objects(record, "adults")),
        incident_type=read.enum(record, "incident_type", INCIDENT_TYPES, "OTHER"),
        dash_risk=read.enum(record, "dash_risk", DASH_RISKS, "NOT_ASSESSED"),
        dash_score=read.whole(record, "dash_score", 0, DASH_QUESTIONS),
        non_fatal_strangulation=read.flag(record, "non_fatal_strangulation"),
        weapon_used=read.flag(record, "weapon_used"),
        victim_pregnant=read.flag(record, "victim_pregnant"),
        marac_referral=read.flag(record, "marac_referral"),
        consent="NOT_RECORDED",
        narrative=_narrative(read, record),
        schema_version=2 if any(record.get(key) is not None for key in _V2_FIELDS) else 1,
    )
