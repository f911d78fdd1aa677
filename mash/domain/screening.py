"""Child-focused domestic abuse screening: how much risk a domestic abuse incident means for
*this* child.

The DASH risk level rates the risk to the adult victim. The peer review asked the hub to look at
the child as well: a standard-risk incident with a three-month-old in the room is not the same
as one with a fifteen-year-old away at a friend's. The screening adds up points for what is
known about the incident, the child and the household, and turns the total into a level 1-4
with the reasons that raised it. The rules then use ``da_screening_level`` like any other fact.

What counts and how much is policy, so the weights are data: the ``screening.domestic_abuse``
section of the rules file (:class:`ScreeningPolicy`), versioned with the rules and open to
``mash whatif``. The code only knows which facts are weighed:

* the DASH risk level, or the DASH score (v2 notifications) when that says more;
* the child's age: unborn and under one weigh most (babies are the children most often
  seriously harmed, Child Safeguarding Practice Review Panel annual reports), and under seven
  more than older children (Barnardo's Domestic Violence Risk Identification Matrix, DVRIM);
* a disability (DVRIM: a disabled child is more vulnerable and less able to tell);
* whether the child was present, in the household but not present (Domestic Abuse Act 2021
  s3: children who see, hear *or experience the effects* are victims), or of unknown presence,
  which counts as present (unknown is never reassurance); and whether the child was injured;
* a pregnant victim, non-fatal strangulation, a weapon, threats to kill, sexual violence,
  stalking, separation and threats to the children (DASH questions; markers of serious harm
  and homicide risk), whether the officer recorded them or the narrative of a domestic abuse
  referral names them;
* a MARAC referral now or an open MARAC case, and repeat incidents: the higher of the
  officer's count and the police records (SafeLives escalation: three or more police
  call-outs in twelve months), in bands so that ten incidents weigh more than three;
* the child's social care status (a child already on a plan is already known to be at risk).

Health and council referrals with a domestic abuse concern code are screened on what they
carry (age, presence unknown, injury, the narrative's markers, the records); their DASH level
is NOT_ASSESSED, which is not reassurance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from mash.errors import RuleError

SCREENING_FACT_NAMES: Final = ("da_screening_level", "da_screening_score", "da_screening_reasons")


@dataclass(frozen=True, slots=True)
class Band:
    """``at_least`` or more gives ``value`` (points, or a level)."""

    at_least: int
    value: int


@dataclass(frozen=True, slots=True)
class ScreeningPolicy:
    """The weights of the domestic abuse screening (see the module docstring)."""

    dash_risk: Mapping[str, int]
    dash_score: tuple[Band, ...]
    unborn: int
    age_unknown: int
    age_under_months: tuple[Band, ...]  # here ``at_least`` is read as "under this many months"
    present_at_incident: int
    presence_unknown: int
    in_household: int
    disability: int
    child_injured: int
    victim_pregnant: int
    strangulation: int
    weapon: int
    threats_to_kill: int
    sexual_violence: int
    stalking: int
    separation: int
    threats_to_children: int
    marac: int
    repeat_incidents: tuple[Band, ...]
    social_care_status: Mapping[str, int]
    levels: tuple[Band, ...]


@dataclass(frozen=True, slots=True)
class Screening:
    """The outcome: level 1-4 (0 when there is no domestic abuse), points and reasons."""

    level: int
    score: int
    reasons: tuple[str, ...]

    def as_facts(self) -> dict[str, Any]:
        """The screening as the facts the rules see."""
        return {
            "da_screening_level": self.level,
            "da_screening_score": self.score,
            "da_screening_reasons": list(self.reasons),
        }


NOT_SCREENED: Final = Screening(0, 0, ())

# --------------------------------------------------------------------------- policy from data

_POINTS: Final = (
    "unborn",
    "age_unknown",
    "present_at_incident",
    "presence_unknown",
    "in_household",
    "disability",
    "child_injured",
    "victim_pregnant",
    "strangulation",
    "weapon",
    "threats_to_kill",
    "sexual_violence",
    "stalking",
    "separation",
    "threats_to_children",
    "marac",
)
_TABLES: Final = ("dash_risk", "social_care_status")
_BANDS: Final = {
    "dash_score": "at_least",
    "age": "under_months",
    "repeat_incidents": "at_least",
    "levels": "at_least",
}
_KEYS: Final = frozenset((*_POINTS, *_TABLES, *_BANDS, "guidance"))


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleError(f"screening: {where} must be a whole number")
    return value


def _table(data: Mapping[str, Any], name: str) -> dict[str, int]:
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise RuleError(f"screening: {name} must map values to points")
    return {str(key): _int(points, f"{name}.{key}") for key, points in table.items()}


def _bands(data: Mapping[str, Any], name: str, bound: str, value: str) -> tuple[Band, ...]:
    rows = data.get(name, [])
    if not isinstance(rows, list):
        raise RuleError(f"screening: {name} must be a list of {{{bound}, {value}}}")
    bands = []
    for number, row in enumerate(rows, 1):
        if not isinstance(row, Mapping) or set(row) != {bound, value}:
            raise RuleError(
                f"screening: {name} item {number} must have exactly {bound} and {value}"
            )
        bands.append(Band(_int(row[bound], f"{name}.{bound}"), _int(row[value], f"{name}.{value}")))
    return tuple(bands)


def policy_from_mapping(data: Mapping[str, Any]) -> ScreeningPolicy:
    """The policy from the ``screening.domestic_abuse`` section of a rules file.

    Raises :class:`~mash.errors.RuleError` naming the key that is wrong. Bands are sorted so
    the first that applies is the right one whatever order the file lists them in.
    """
    if not isinstance(data, Mapping):
        raise RuleError("screening.domestic_abuse must be a mapping")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        raise RuleError(f"screening: unknown keys {', '.join(map(str, unknown))}")
    levels = _bands(data, "levels", "at_least", "level")
    if not levels:
        raise RuleError("screening: levels must list at least one {at_least, level}")
    if any(not 1 <= band.value <= 4 for band in levels):
        raise RuleError("screening: levels must be between 1 and 4")

    def descending(bands: tuple[Band, ...]) -> tuple[Band, ...]:
        return tuple(sorted(bands, key=lambda band: -band.at_least))

    return ScreeningPolicy(
        dash_risk=_table(data, "dash_risk"),
        dash_score=descending(_bands(data, "dash_score", "at_least", "points")),
        age_under_months=tuple(
            sorted(_bands(data, "age", "under_months", "points"), key=lambda band: band.at_least)
        ),
        repeat_incidents=descending(_bands(data, "repeat_incidents", "at_least", "points")),
        social_care_status=_table(data, "social_care_status"),
        levels=descending(levels),
        **{name: _int(data.get(name, 0), name) for name in _POINTS},
    )


# --------------------------------------------------------------------------- screening


def _first_at_least(bands: tuple[Band, ...], amount: int) -> Band | None:
    return next((band for band in bands if amount >= band.at_least), None)


def _dash(facts: Mapping[str, Any], policy: ScreeningPolicy) -> tuple[int, str]:
    # The officer's DASH level and the v2 score can disagree; the higher counts, so that a
    # score of 15 recorded as "medium" is still weighed as high risk (SafeLives: 14 or more
    # "yes" answers is visible high risk).
    risk = facts["dash_risk"]
    points = policy.dash_risk.get(risk, policy.dash_risk.get("NOT_ASSESSED", 0))
    reason = f"DASH risk {risk.lower().replace('_', ' ')}"
    band = _first_at_least(policy.dash_score, facts["dash_score"]) if facts["dash_scored"] else None
    if band is not None and band.value > points:
        return band.value, f"DASH score {facts['dash_score']} of 27"
    return points, reason


def _age(facts: Mapping[str, Any], policy: ScreeningPolicy) -> tuple[int, str]:
    if facts["unborn"]:
        return policy.unborn, "unborn baby"
    if not facts["dob_known"]:
        return policy.age_unknown, "age not known"
    months = facts["age_months"]
    band = next((band for band in policy.age_under_months if months < band.at_least), None)
    if band is None:
        return 0, ""
    under = band.at_least
    words = (
        f"{under // 12} year{'s' if under != 12 else ''}" if under % 12 == 0 else f"{under} months"
    )
    return band.value, f"child under {words}"


def _presence(facts: Mapping[str, Any], policy: ScreeningPolicy) -> tuple[int, str]:
    if facts["present_at_incident"]:
        return policy.present_at_incident, "present at the incident"
    if not facts["presence_known"]:
        return policy.presence_unknown, "presence not recorded (counted as present)"
    return policy.in_household, "in the household (not present at the incident)"


# (fact, the policy's points for it, the reason): yes/no facts that add points when true.
_MARKERS: Final = (
    ("disability", "disability", "child has a disability"),
    ("child_injured", "child_injured", "injured in the incident"),
    ("victim_pregnant", "victim_pregnant", "victim is pregnant"),
    ("strangulation", "strangulation", "non-fatal strangulation"),
    ("weapon", "weapon", "weapon used or threatened"),
    ("threats_to_kill", "threats_to_kill", "threats to kill"),
    ("sexual_violence", "sexual_violence", "sexual violence"),
    ("stalking", "stalking", "stalking or harassment"),
    ("separation", "separation", "recent separation"),
    ("threats_to_children", "threats_to_children", "threats to the children"),
)


def _flags(facts: Mapping[str, Any], policy: ScreeningPolicy) -> list[tuple[int, str]]:
    marac = facts["marac_referral"] or facts["police_open_marac"]
    weighed = [_presence(facts, policy)]
    weighed += [
        (getattr(policy, points) if facts[fact] else 0, reason) for fact, points, reason in _MARKERS
    ]
    weighed.append((policy.marac if marac else 0, "MARAC referral or open MARAC case"))
    return weighed


def _history(facts: Mapping[str, Any], policy: ScreeningPolicy) -> list[tuple[int, str]]:
    incidents = facts["repeat_incidents_12m"]
    band = _first_at_least(policy.repeat_incidents, incidents)
    status = facts["social_care_status"]
    return [
        (band.value if band else 0, f"{incidents} domestic incidents in 12 months"),
        (
            policy.social_care_status.get(status, 0),
            f"social care status {status.lower().replace('_', ' ')}",
        ),
    ]


def screen(facts: Mapping[str, Any], policy: ScreeningPolicy) -> Screening:
    """Screen one child (facts from :func:`mash.domain.facts.child_facts`).

    Children without domestic abuse in the referral are not screened (level 0). Reasons are
    listed in the order weighed, and only for what added points.
    """
    if not facts["domestic_abuse"]:
        return NOT_SCREENED
    weighed = [
        _dash(facts, policy),
        _age(facts, policy),
        *_flags(facts, policy),
        *_history(facts, policy),
    ]
    score = sum(points for points, _ in weighed)
    reasons = tuple(reason for points, reason in weighed if points > 0)
    band = _first_at_least(policy.levels, score)
    return Screening(band.value if band else 1, score, reasons)
