"""Cross-agency person records (the compacted ``mash.records.*`` topics) for a household.

Each agency that knew the family before the generation window holds one record per child, in
its own recording style (:mod:`mash.generate.render`), last updated at some point in the year
before the window. The records agree with one another the way real ones do: a child on a
child protection plan in social care carries the CP-IS flag in health (nearly always: the flag
lags now and then), a looked-after child's social care address is often the placement's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from mash.generate.identifiers import Sequence
from mash.generate.population import Household, Person, random_postcode
from mash.generate.referrals import iso_time
from mash.generate.render import STYLES, render
from mash.generate.sampling import chance, small_count

RECORD_KINDS = ("social-care", "early-help", "police", "health")

_HEALTH_RECORD = {True: 0.78, False: 0.85}
"""Share of children with a health record on the topic (referred / background): most children
are registered with a local GP; some moved in recently or are registered elsewhere."""


@dataclass(frozen=True, slots=True)
class RecordIds:
    """Each agency's own person-id sequence (unique within a data set)."""

    social_care: Sequence
    early_help: Sequence
    police: Sequence
    health: Sequence

    @classmethod
    def create(cls, rng: Random) -> RecordIds:
        return cls(
            social_care=Sequence("SC-", rng, width=7),
            early_help=Sequence("EH-", rng, width=7),
            police=Sequence("CLE-P-", rng, width=7),
            health=Sequence("NTH-", rng, width=7),
        )


def _updated_at(rng: Random, start: datetime, dob: date) -> datetime | None:
    """A moment in the year before ``start`` and after the child's birth (None: born too
    recently for any agency to have a record)."""
    age_days = (start.date() - dob).days
    if age_days < 2:
        return None
    seconds_ago = 86400 + int(rng.random() * 86400 * (min(400, age_days - 1) - 1))
    return start - timedelta(seconds=seconds_ago)


def _base(
    rng: Random, kind: str, person_id: str, child: Person, household: Household, at: datetime
) -> dict[str, Any]:
    shown = render(rng, STYLES[f"records.{kind}"], child, household)
    dob = shown.dob or child.dob
    return {
        "person_id": person_id,
        "nhs_number": shown.nhs,
        "forenames": shown.forenames,
        "surname": shown.surname,
        "dob": dob.isoformat() if dob else None,
        "postcode": shown.postcode,
        "updated_at": iso_time(at),
    }


def household_records(
    rng: Random, ids: RecordIds, household: Household, start: datetime, referred: bool
) -> Iterator[tuple[str, Person, dict[str, Any]]]:
    """Every record the agencies hold about the household's children: (kind, child, record)."""
    history = household.history
    for child in household.children:
        if child.dob is None:  # unborn: no agency holds a person record yet
            continue
        if history.sc_status is not None and (at := _updated_at(rng, start, child.dob)):
            yield "social-care", child, _social_care(rng, ids, child, household, start, at)
        if history.eh_open is not None and (at := _updated_at(rng, start, child.dob)):
            record = _base(rng, "early-help", ids.early_help.next(), child, household, at)
            record["open_episode"] = history.eh_open
            record["lead_professional"] = history.eh_lead
            yield "early-help", child, record
        if history.police_known and (at := _updated_at(rng, start, child.dob)):
            record = _base(rng, "police", ids.police.next(), child, household, at)
            record["domestic_incidents_12m"] = history.police_incidents_12m
            record["open_marac"] = history.open_marac
            record["household_risk_to_children"] = history.household_risk
            yield "police", child, record
        if chance(rng, _HEALTH_RECORD[referred]) and (at := _updated_at(rng, start, child.dob)):
            yield "health", child, _health(rng, ids, child, household, at)


def _social_care(
    rng: Random,
    ids: RecordIds,
    child: Person,
    household: Household,
    start: datetime,
    at: datetime,
) -> dict[str, Any]:
    history = household.history
    status = history.sc_status
    record = _base(rng, "social-care", ids.social_care.next(), child, household, at)
    if status == "LOOKED_AFTER" and chance(rng, 0.5):
        record["postcode"] = random_postcode(rng)  # the placement's address
    record["status"] = status
    record["referrals_12m"] = history.sc_referrals_12m
    record["last_s47_date"] = _last_s47(rng, history.sc_last_s47_days_ago, child, start.date())
    return record


def _last_s47(rng: Random, days_ago: int | None, child: Person, start: date) -> str | None:
    """The household's last s47 enquiry; a baby born since then, on the plan with the
    siblings, had one of its own soon after birth (a plan always follows an enquiry)."""
    if days_ago is None or child.dob is None:
        return None
    day = start - timedelta(days=days_ago)
    if day <= child.dob:
        since_birth = (start - child.dob).days
        day = child.dob + timedelta(days=int(rng.random() * min(60, since_birth - 1)))
    return day.isoformat()


_CPIS = {"CP_PLAN": "CP_PLAN", "LOOKED_AFTER": "LOOKED_AFTER"}


def _health(
    rng: Random, ids: RecordIds, child: Person, household: Household, at: datetime
) -> dict[str, Any]:
    record = _base(rng, "health", ids.health.next(), child, household, at)
    flag = _CPIS.get(household.history.sc_status or "", "NONE")
    record["cpis_flag"] = flag if flag == "NONE" or chance(rng, 0.95) else "NONE"
    record["ed_attendances_12m"] = small_count(rng, 0.3, 15)
    return record
