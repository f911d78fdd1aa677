"""The canonical referral: what every agency's referral becomes once it reaches the hub.

Agencies speak their own dialects (police PPNs, NHS safeguarding referrals, council requests for
support); :mod:`mash.agencies` maps each one onto these types, so that identity, checks and
thresholds are written once. Narrative text is carried for the staff who work the case and
read for concern categories (:mod:`mash.domain.narrative`), but never written to the decision
log.

"Not said" is ``None``. The fields added for the level-4 indicators of published threshold
guidance (police v3, health v2, council v2: ``threats_to_kill``, ``care_seriously_affected``,
``disability``, ...) are ``None`` when the agency's form did not ask, which must never lower a
route: the facts read ``None`` as "not known", and only the rules file decides whether an
unknown raises a level.
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
    injury_site: str | None = None
    disability: bool | None = None
    found_alone: bool | None = None
    police_protection: bool | None = None
    injury_patterned: bool | None = None
    disclosure: bool | None = None
    suicidal_plans: bool | None = None
    sexually_transmitted_infection: bool | None = None
    sexually_active: bool | None = None
    older_partner: bool | None = None
    sexual_behaviour: str | None = None
    substance_use: str | None = None
    in_parent_delusions: bool | None = None


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
    # police v3: DASH high-risk markers the officer answered, and the officer's own count
    threats_to_kill: bool | None = None
    sexual_violence: bool | None = None
    stalking: bool | None = None
    separation: bool | None = None
    threats_to_children: bool | None = None
    previous_incidents_12m: int | None = None
    # health v2 and council v2 (police v3's incapacitated carer reads as both care fields)
    care_seriously_affected: bool | None = None
    sole_carer: bool | None = None
    adult_posing_risk: bool | None = None
    life_threatening_neglect: bool | None = None
    family_homeless: bool | None = None
    community_harm: bool | None = None
    child_not_seen: bool | None = None
    sibling_on_plan: bool | None = None
    sibling_removed: bool | None = None
