"""The canonical referral: what every agency's referral becomes once it reaches the hub.

Agencies speak their own dialects (police PPNs, NHS safeguarding referrals, council requests for
support); :mod:`mash.agencies` maps each one onto these types, so that identity, checks and
thresholds are written once. Narrative text is carried for the staff who work the case but is
never used by rules and never written to the decision log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

Agency = Literal["police", "health", "council"]


@dataclass(frozen=True, slots=True)
class Child:
    """One child (or unborn baby) named in a referral, in the referral's own order."""

    index: int
    forenames: str | None
    surname: str | None
    dob: date | None
    nhs_number: str | None = None
    upn: str | None = None
    postcode: str | None = None
    unborn: bool = False
    expected_delivery_date: date | None = None
    present_at_incident: bool | None = None
    injured: bool | None = None
    injury_kind: str | None = None
    injury_explanation_consistent: bool | None = None
    mobile: bool | None = None


@dataclass(frozen=True, slots=True)
class Adult:
    """An adult named in a police notification (victim, suspect or other)."""

    role: str
    forenames: str | None = None
    surname: str | None = None
    dob: date | None = None


@dataclass(frozen=True, slots=True)
class Referral:
    """A referral in the hub's own terms, whichever agency sent it.

    ``source_code`` is the DfE Children in Need referral source (``6`` police, ``3A`` GP, ...).
    Fields that only one agency fills default to "not said" (``None``/``False``/empty).
    """

    agency: Agency
    source_id: str
    source_code: str
    received_at: datetime
    children: tuple[Child, ...]
    occurred_at: datetime | None = None
    concern_codes: frozenset[str] = frozenset()
    health_indicators: frozenset[str] = frozenset()
    adults: tuple[Adult, ...] = ()
    # police
    incident_type: str | None = None
    dash_risk: str | None = None
    dash_score: int | None = None
    non_fatal_strangulation: bool = False
    weapon_used: bool = False
    victim_pregnant: bool = False
    marac_referral: bool = False
    # health
    setting: str | None = None
    # council
    service: str | None = None
    disclosure_by_child: bool = False
    attendance_percent: float | None = None
    support_requested: str | None = None
    # consent: GIVEN, REFUSED, NOT_SOUGHT_RISK_OF_HARM, or NOT_RECORDED
    consent: str = "NOT_RECORDED"
    narrative: str = field(default="", repr=False)
    schema_version: int = 1
