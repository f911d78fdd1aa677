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

Consent: the form asks whether the family agrees to the request. ``true`` is GIVEN; ``false`` is
REFUSED (the family's answer as the referrer recorded it); a missing answer is NOT_RECORDED.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from mash.agencies._read import Reader, referral_id
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
SUPPORT: Final = frozenset({"ADVICE", "EARLY_HELP", "ASSESSMENT"})


def _child(read: Reader, record: Mapping[str, Any]) -> Child:
    child = read.mapping(record, "child")
    if child is None:
        read.fail("child", "", "is missing")
    return read.child(
        "child",
        0,
        forenames=read.name(child, "first_name", "child"),
        surname=read.name(child, "last_name", "child"),
        dob=read.day(child, "date_of_birth", "child"),
        nhs_number=child.get("nhs_number"),
        upn=child.get("upn"),
        postcode=child.get("postcode"),
    )


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
        support_requested=read.enum(record, "support_requested", SUPPORT, "ASSESSMENT"),
        consent=_consent(read, record),
        narrative=read.text(record, "description") or "",
    )
