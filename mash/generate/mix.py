"""Who refers, about whom, and for what: the referral mix the generator draws from.

Referral sources follow the DfE *Children in need* statistics for England, reporting year
2025 (referrals in the year ending 31 March 2025), approximately, as percentages of referrals:

=========================================  =====  =========================================
source (census code)                       share  generated as
=========================================  =====  =========================================
police (6)                                  30.0  police.jsonl (every incident type)
schools (2A)                                20.5  council.jsonl, service SCHOOL
education services (2B)                      1.5  council.jsonl, EDUCATION_WELFARE
health services (3A-3F)                     14.0  health.jsonl: GP 3.0, health visitor 1.5,
                                                  school nurse 0.5, midwifery (3D) 1.5,
                                                  emergency department 3.0, CAMHS (3F) 2.0,
                                                  other health (3F) 2.5
housing (4)                                  1.5  council.jsonl, HOUSING
LA services (5A-5D)                         13.0  council.jsonl: ADULT_SERVICES (5A) 4.0,
                                                  YOUTH_JUSTICE (5B) 3.5, EARLY_HELP (5D)
                                                  4.5; 5C (another LA) 1.0 not generated
other (8)                                    6.0  council.jsonl, OTHER (voluntary sector)
individuals (1A-1D) 7.5, other legal
agency (7) 3.0, anonymous (9) 1.0,
unknown (10) 2.0                            13.5  not generated: they phone or write to the
                                                  front door, they do not publish to Kafka
=========================================  =====  =========================================

So among generated referrals the shares are the published ones renormalised over 85.5%:
police about 35%, schools 24%, health 16%, LA services 14%, other 7%, housing and education
services about 2% each. The same statistics give re-referrals within 12 months at about 22%
(2024: 139,080 of 621,880); the generator makes about a fifth of referred children known to
social care with ``referrals_12m >= 1``.

Shares are per *child*, as the census counts them (a notification about three children is three
referrals) and as the hub decides them (one decision per child). Police domestic abuse
notifications list every child of the household, so police are fewer of the *messages* than
of the children; the generator corrects for that as it goes (:class:`SourceMix`).

Each channel has scenarios: an age range, the census factor codes an officer, clinician or
teacher typically records, and (health) the indicators. :func:`code_allowed` keeps codes
consistent with the child (no missed immunisations at 12, no pregnancy at 9, no FGM for boys).
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from mash.generate.sampling import Weighted

CIN_SOURCE_SHARES_2025: dict[str, float] = {
    "1": 7.5,
    "2A": 20.5,
    "2B": 1.5,
    "3A": 3.0,
    "3B": 1.5,
    "3C": 0.5,
    "3D": 1.5,
    "3E": 3.0,
    "3F": 4.5,
    "4": 1.5,
    "5A": 4.0,
    "5B": 3.5,
    "5C": 1.0,
    "5D": 4.5,
    "6": 30.0,
    "7": 3.0,
    "8": 6.0,
    "9": 1.0,
    "10": 2.0,
}
"""Approximate % of referrals by source, England, year ending 31 March 2025 (DfE CIN)."""

RE_REFERRAL_RATE = 0.205
"""Share of referred households already referred in the previous 12 months (DfE: about 22%;
a little lower here because unborn babies and newborns cannot have been referred before)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A kind of referral within a channel: who it is about and what gets recorded.

    ``primary``: one of these codes is always recorded; ``codes`` and ``indicators``: each is
    recorded with its probability. ``injury``: probability of an observed injury (health) or an
    injured child (police). ``whole_household``: police list every child of the household.
    """

    key: str
    weight: float
    ages: tuple[float, float]
    primary: tuple[str, ...] = ()
    codes: tuple[tuple[str, float], ...] = ()
    indicators: tuple[tuple[str, float], ...] = ()
    sex: str | None = None
    injury: float = 0.0
    whole_household: bool = False
    severe: bool = False
    unborn: bool = False


@dataclass(frozen=True, slots=True)
class Channel:
    """One way a referral arrives: an agency and its incident type, setting or service."""

    agency: str
    channel: str
    source_code: str
    share: float
    scenarios: Weighted[Scenario]


def _scenarios(*items: Scenario) -> Weighted[Scenario]:
    return Weighted.of((s, s.weight) for s in items)


POLICE_INCIDENTS: dict[str, Weighted[Scenario]] = {
    "DOMESTIC_ABUSE": _scenarios(
        Scenario(
            "domestic-abuse",
            62,
            (0, 15),
            primary=("3B", "3B", "3B", "3C", "3C", "3A"),
            codes=(("1B", 0.15), ("2B", 0.10), ("4B", 0.08), ("17A", 0.05)),
            injury=0.02,
            whole_household=True,
        ),
    ),
    "CHILD_CONCERN": _scenarios(
        Scenario(
            "neglect",
            7,
            (0, 12),
            primary=("16A",),
            codes=(("1B", 0.2), ("2B", 0.2)),
            whole_household=True,
        ),
        Scenario("physical-abuse", 4, (0, 16), primary=("18B",), injury=0.5, severe=True),
        Scenario("emotional-abuse", 3, (2, 17), primary=("17A",), codes=(("4B", 0.2),)),
        Scenario("sexual-abuse", 1, (3, 17), primary=("19B", "19C"), severe=True),
        Scenario("parental-substance", 2, (0, 17), primary=("1B", "2B"), whole_household=True),
    ),
    "MISSING_PERSON": _scenarios(
        Scenario(
            "missing",
            9,
            (11, 18),
            primary=("10A",),
            codes=(("11A", 0.2), ("24A", 0.15), ("2A", 0.1)),
        ),
    ),
    "CHILD_EXPLOITATION": _scenarios(
        Scenario(
            "exploitation",
            5,
            (11, 18),
            primary=("11A", "24A", "24A", "12A"),
            codes=(("13A", 0.2), ("10A", 0.3), ("2A", 0.2)),
            severe=True,
        ),
    ),
    "ONLINE_HARM": _scenarios(
        Scenario(
            "online", 3, (9, 18), primary=("ONLINE_RISK",), codes=(("19C", 0.2), ("11A", 0.2))
        ),
    ),
    "OTHER": _scenarios(
        Scenario("behaviour", 2.5, (9, 18), primary=("14A",), codes=(("2A", 0.2),)),
        Scenario("other", 1.5, (0, 18), primary=("20",)),
        Scenario("radicalisation", 0.3, (11, 18), primary=("RADICALISATION",)),
        Scenario(
            "forced-marriage",
            0.3,
            (14, 18),
            primary=("FORCED_MARRIAGE",),
            sex="F",
            codes=(("HONOUR_BASED_ABUSE", 0.5),),
            severe=True,
        ),
        Scenario("honour-based-abuse", 0.2, (12, 18), primary=("HONOUR_BASED_ABUSE",), severe=True),
        Scenario("fgm", 0.2, (0, 15), primary=("22A",), sex="F", severe=True),
    ),
}

HEALTH_SETTINGS: dict[str, tuple[str, float, Weighted[Scenario]]] = {
    "GP": (
        "3A",
        3.0,
        _scenarios(
            Scenario(
                "young-neglect",
                3,
                (0, 5),
                codes=(("16A", 0.4), ("4B", 0.2)),
                indicators=(
                    ("MISSED_IMMUNISATIONS", 0.7),
                    ("MISSED_APPOINTMENTS", 0.5),
                    ("DEVELOPMENTAL_DELAY", 0.3),
                ),
            ),
            Scenario(
                "chronic",
                2,
                (2, 18),
                codes=(("16A", 0.3),),
                indicators=(("CHRONIC_CONDITION_UNTREATED", 1.0), ("MISSED_APPOINTMENTS", 0.7)),
            ),
            Scenario(
                "parental",
                2,
                (0, 18),
                primary=("4B", "1B", "2B", "3B"),
                indicators=(("MISSED_APPOINTMENTS", 0.2),),
            ),
            Scenario(
                "teen-pregnancy",
                0.5,
                (13, 18),
                sex="F",
                codes=(("11A", 0.1), ("2A", 0.2)),
                indicators=(("PREGNANT", 1.0),),
            ),
        ),
    ),
    "HEALTH_VISITOR": (
        "3B",
        1.5,
        _scenarios(
            Scenario(
                "failure-to-thrive",
                2,
                (0, 3),
                codes=(("16A", 0.6),),
                indicators=(("FAILURE_TO_THRIVE", 1.0), ("MISSED_APPOINTMENTS", 0.3)),
            ),
            Scenario(
                "missed-checks",
                3,
                (0, 5),
                codes=(("16A", 0.3),),
                indicators=(
                    ("MISSED_IMMUNISATIONS", 0.8),
                    ("MISSED_APPOINTMENTS", 0.6),
                    ("DEVELOPMENTAL_DELAY", 0.4),
                ),
            ),
            Scenario("parental", 3, (0, 5), primary=("4B", "4B", "3B", "1B", "2B")),
            Scenario("baby-bruise", 1, (0.1, 1), primary=("18B",), injury=1.0, severe=True),
        ),
    ),
    "SCHOOL_NURSE": (
        "3C",
        0.5,
        _scenarios(
            Scenario(
                "self-harm",
                2,
                (11, 18),
                primary=("15A",),
                codes=(("4A", 0.6),),
                indicators=(("SELF_HARM", 1.0),),
            ),
            Scenario(
                "neglect",
                2,
                (5, 13),
                primary=("16A",),
                indicators=(("MISSED_APPOINTMENTS", 0.5), ("CHRONIC_CONDITION_UNTREATED", 0.3)),
            ),
            Scenario("teen-pregnancy", 0.5, (13, 18), sex="F", indicators=(("PREGNANT", 1.0),)),
            Scenario("disclosure", 1, (5, 18), primary=("18B", "19B", "17A"), severe=True),
        ),
    ),
    "MIDWIFERY": (
        "3D",
        1.5,
        _scenarios(
            Scenario(
                "unborn",
                4,
                (0, 0),
                unborn=True,
                codes=(
                    ("3B", 0.45),
                    ("2B", 0.3),
                    ("1B", 0.15),
                    ("4B", 0.3),
                    ("5B", 0.05),
                    ("20", 0.1),
                ),
                indicators=(("SUBSTANCE_EXPOSURE", 0.25),),
            ),
            Scenario(
                "newborn",
                1,
                (0, 0.07),
                codes=(("2B", 0.6), ("4B", 0.3), ("3B", 0.2)),
                indicators=(("SUBSTANCE_EXPOSURE", 0.6), ("MISSED_APPOINTMENTS", 0.2)),
            ),
        ),
    ),
    "EMERGENCY_DEPARTMENT": (
        "3E",
        3.0,
        _scenarios(
            Scenario("baby-injury", 3, (0, 2), codes=(("18B", 0.3),), injury=1.0, severe=True),
            Scenario("child-injury", 2, (2, 12), codes=(("18B", 0.25), ("16A", 0.1)), injury=1.0),
            Scenario(
                "self-harm",
                3,
                (11, 18),
                primary=("15A",),
                codes=(("4A", 0.4), ("2A", 0.2), ("1A", 0.15)),
                indicators=(("SELF_HARM", 1.0),),
            ),
            Scenario("intoxication", 1, (12, 18), primary=("1A", "2A"), codes=(("11A", 0.15),)),
            Scenario("assault", 1, (12, 18), codes=(("13A", 0.2), ("24A", 0.2)), injury=1.0),
        ),
    ),
    "CAMHS": (
        "3F",
        2.0,
        _scenarios(
            Scenario(
                "self-harm",
                5,
                (10, 18),
                primary=("15A",),
                codes=(("4A", 0.7), ("2A", 0.15)),
                indicators=(("SELF_HARM", 1.0),),
            ),
            Scenario(
                "mental-health",
                3,
                (8, 18),
                primary=("4A",),
                codes=(("ONLINE_RISK", 0.1), ("11A", 0.1), ("5A", 0.05)),
            ),
        ),
    ),
    "OTHER": (
        "3F",
        2.5,
        _scenarios(
            Scenario(
                "chronic",
                3,
                (0, 18),
                codes=(("6A", 0.3), ("16A", 0.3)),
                indicators=(("CHRONIC_CONDITION_UNTREATED", 1.0), ("MISSED_APPOINTMENTS", 0.4)),
            ),
            Scenario(
                "failure-to-thrive",
                1,
                (0, 3),
                primary=("16A",),
                indicators=(("FAILURE_TO_THRIVE", 1.0),),
            ),
            Scenario("fii", 0.3, (0, 12), primary=("FII",), severe=True),
            Scenario("fgm", 0.2, (0, 16), primary=("22A",), sex="F", severe=True),
            Scenario("disability", 1, (0, 18), primary=("6A", "5A"), codes=(("6B", 0.2),)),
        ),
    ),
}

COUNCIL_SERVICES: dict[str, tuple[str, float, Weighted[Scenario]]] = {
    "SCHOOL": (
        "2A",
        20.5,
        _scenarios(
            Scenario("sexual-abuse-disclosure", 1, (4, 18), primary=("19B", "19C"), severe=True),
            Scenario("physical-abuse-disclosure", 1.5, (4, 18), primary=("18B",), severe=True),
            Scenario("neglect", 4, (4, 17), primary=("16A",), codes=(("1B", 0.1), ("2B", 0.1))),
            Scenario("domestic-abuse", 2, (4, 18), primary=("3B", "3A", "17A")),
            Scenario("parental", 2, (4, 18), primary=("4B", "1B", "2B")),
            Scenario("young-carer", 1, (8, 18), primary=("7A",), codes=(("4B", 0.4), ("6B", 0.4))),
            Scenario("mental-health", 2, (11, 18), primary=("4A", "15A")),
            Scenario("exploitation", 1, (11, 18), primary=("11A", "24A"), codes=(("10A", 0.4),)),
            Scenario("online", 0.7, (9, 18), primary=("ONLINE_RISK",), codes=(("19C", 0.1),)),
            Scenario("behaviour", 1, (6, 18), primary=("14A", "20")),
            Scenario("advice", 1, (4, 18)),
            Scenario("fgm", 0.1, (4, 14), primary=("22A",), sex="F", severe=True),
            Scenario("forced-marriage", 0.1, (14, 18), primary=("FORCED_MARRIAGE",), severe=True),
            Scenario("radicalisation", 0.1, (11, 18), primary=("RADICALISATION",)),
        ),
    ),
    "EDUCATION_WELFARE": (
        "2B",
        1.5,
        _scenarios(
            Scenario("attendance", 3, (5, 16), codes=(("16A", 0.4), ("20", 0.3))),
            Scenario("missing-education", 1, (5, 16), primary=("10A", "20")),
        ),
    ),
    "HOUSING": (
        "4",
        1.5,
        _scenarios(
            Scenario("homeless-16-17", 1, (16, 18), primary=("HOMELESS",), codes=(("4A", 0.2),)),
            Scenario(
                "family-housing", 2, (0, 18), primary=("16A", "3B", "20"), codes=(("4B", 0.2),)
            ),
        ),
    ),
    "ADULT_SERVICES": (
        "5A",
        4.0,
        _scenarios(
            Scenario(
                "parental", 1, (0, 18), primary=("4B", "5B", "1B", "2B", "6B"), codes=(("7A", 0.2),)
            ),
        ),
    ),
    "YOUTH_JUSTICE": (
        "5B",
        3.5,
        _scenarios(
            Scenario(
                "offending",
                1,
                (10, 18),
                primary=("24A", "13A", "14A"),
                codes=(("2A", 0.3), ("10A", 0.2)),
            ),
        ),
    ),
    "EARLY_HELP": (
        "5D",
        4.5,
        _scenarios(
            Scenario(
                "step-up",
                1,
                (0, 18),
                primary=("16A", "3B", "4B", "1B", "2B", "17A"),
                codes=(("20", 0.1),),
            ),
        ),
    ),
    "OTHER": (
        "8",
        6.0,
        _scenarios(
            Scenario("voluntary-sector", 1, (0, 18), primary=("16A", "3B", "20", "4B", "17A")),
        ),
    ),
}


def build_channels() -> tuple[Channel, ...]:
    """Every channel with its share of generated children (published shares, see above)."""
    police_weights = {incident: scenarios.total for incident, scenarios in POLICE_INCIDENTS.items()}
    police_total = sum(police_weights.values())
    channels = [
        Channel(
            "police",
            incident,
            "6",
            CIN_SOURCE_SHARES_2025["6"] * weight / police_total,
            POLICE_INCIDENTS[incident],
        )
        for incident, weight in police_weights.items()
    ]
    channels += [
        Channel("health", setting, code, share, scenarios)
        for setting, (code, share, scenarios) in HEALTH_SETTINGS.items()
    ]
    channels += [
        Channel("council", service, code, share, scenarios)
        for service, (code, share, scenarios) in COUNCIL_SERVICES.items()
    ]
    return tuple(channels)


def target_source_shares() -> dict[str, float]:
    """The per-child share of each census source code among generated referrals."""
    totals: dict[str, float] = {}
    for channel in build_channels():
        totals[channel.source_code] = totals.get(channel.source_code, 0.0) + channel.share
    grand = sum(totals.values())
    return {code: share / grand for code, share in totals.items()}


class SourceMix:
    """Draws the next referral's channel so that *children* follow the published shares.

    A police notification names on average more than one child; drawing messages by the
    per-child shares would over-represent police. The police weight is divided by the running
    mean number of children per police notification (deterministic: it only depends on what
    was generated before).
    """

    __slots__ = ("_others", "_police", "_police_children", "_police_messages", "_police_share")

    def __init__(self, channels: tuple[Channel, ...]) -> None:
        police = [c for c in channels if c.agency == "police"]
        others = [c for c in channels if c.agency != "police"]
        total = sum(c.share for c in channels)
        self._police_share = sum(c.share for c in police) / total
        self._police = Weighted.of((c, c.share) for c in police)
        self._others = Weighted.of((c, c.share) for c in others)
        self._police_children = 1.8  # prior: a few notifications' worth, then the data rule
        self._police_messages = 1.0

    def pick(self, rng: Random) -> Channel:
        mean_children = self._police_children / self._police_messages
        police_weight = self._police_share / mean_children
        if rng.random() * (police_weight + 1.0 - self._police_share) < police_weight:
            return self._police.pick(rng)
        return self._others.pick(rng)

    def observe_police(self, children: int) -> None:
        """Tell the mix how many children the police notification just made named."""
        self._police_children += children
        self._police_messages += 1


_MIN_AGE: dict[str, float] = {
    "MISSED_IMMUNISATIONS": -1,
    "FAILURE_TO_THRIVE": -1,
    "DEVELOPMENTAL_DELAY": -1,
    "PREGNANT": 12,
    "SELF_HARM": 8,
    "15A": 8,
    "7A": 5,
    "11A": 10,
    "24A": 10,
    "13A": 10,
    "HOMELESS": 16,
    "FORCED_MARRIAGE": 12,
    "ONLINE_RISK": 7,
    "RADICALISATION": 10,
    "14A": 8,
    "10A": 8,
    "1A": 10,
    "2A": 10,
    "4A": 5,
    "HONOUR_BASED_ABUSE": 10,
}
_MAX_AGE: dict[str, float] = {
    "MISSED_IMMUNISATIONS": 5,
    "FAILURE_TO_THRIVE": 3,
    "DEVELOPMENTAL_DELAY": 7,
}
_GIRLS_ONLY = frozenset({"PREGNANT", "22A"})
_UNBORN_ALLOWED = frozenset(
    {"1B", "2B", "3B", "3C", "4B", "5B", "6B", "20", "SUBSTANCE_EXPOSURE", "22A"}
)


def code_allowed(code: str, age_years: float | None, sex: str) -> bool:
    """Whether a factor code or health indicator makes sense for this child (``age_years``
    None: unborn). Keeps generated data internally consistent whatever the scenario tables
    say: a rule engine tested on impossible combinations learns nothing."""
    if age_years is None:
        return code in _UNBORN_ALLOWED and (code != "22A" or sex == "F")
    if code in _GIRLS_ONLY and sex != "F":
        return False
    if age_years < _MIN_AGE.get(code, 0):
        return False
    return age_years < _MAX_AGE.get(code, 99)


def draw_codes(
    rng: Random, scenario: Scenario, age_years: float | None, sex: str
) -> tuple[list[str], list[str]]:
    """The scenario's concern codes and health indicators for one child, consistent with the
    child's age and sex (the primary code is kept when the scenario's own ages allow it)."""
    codes: list[str] = []
    if scenario.primary:
        codes.append(scenario.primary[int(rng.random() * len(scenario.primary))])
    for code, probability in scenario.codes:
        if rng.random() < probability and code not in codes:
            codes.append(code)
    indicators = [name for name, p in scenario.indicators if rng.random() < p]
    return (
        [c for c in codes if code_allowed(c, age_years, sex)],
        [i for i in indicators if code_allowed(i, age_years, sex)],
    )
