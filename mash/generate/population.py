"""Synthetic households: the people behind referrals and records, and what agencies knew.

A referral is about a child in a family, and the hub's checks find (or miss) that family in
other agencies' systems. So the generator first makes a household (children with siblings and
twins, a mother, often a partner who may not be the children's father, an address that may have
changed) and its history before the generation window (known to social care? open early help
episode? domestic incidents at the address?). Referrals and records are then *renderings* of
the same people (:mod:`mash.generate.render`), which is what makes cross-agency matching real.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from random import Random

from mash.generate.identifiers import NhsNumbers, make_upn
from mash.generate.mix import RE_REFERRAL_RATE
from mash.generate.reference import name_pools, postcode_sectors
from mash.generate.sampling import Weighted, chance, small_count

DAYS_PER_YEAR = 365.25
UNIT_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # letters Royal Mail uses in inward codes

GROUPS: Weighted[str] = Weighted.from_mapping(
    {
        "british": 78,
        "south_asian": 8,
        "eastern_european": 5,
        "african": 4,
        "middle_eastern": 3,
        "east_asian": 2,
    }
)
"""Family name traditions: Stockton-on-Tees is about 90% white British, Teesside's towns and
England's referred children more diverse."""

CHILDREN_PER_HOUSEHOLD: Weighted[int] = Weighted.from_mapping({1: 36, 2: 32, 3: 19, 4: 8, 5: 5})
"""Children under 18 in a referred household (larger than average families: DfE CIN data show
referred children more often have several siblings)."""

SOCIAL_CARE_STATUS_KNOWN: Weighted[str] = Weighted.from_mapping(
    {
        "CLOSED": 45,
        "NONE": 17,
        "OPEN_CIN": 22,
        "CP_PLAN": 12,
        "LOOKED_AFTER": 4,
    }
)
"""Status of a child re-referred within 12 months: mostly closed after assessment or no further
action, some still open (a new contact about an open case), a few on a plan or in care."""

LEAD_PROFESSIONALS = (
    "Family Hub key worker",
    "School designated safeguarding lead",
    "Health visitor",
    "Early help practitioner",
    "School nurse",
    "Youth worker",
    "Family support worker",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A child (or unborn baby: ``dob`` None, ``edd`` set) as they really are."""

    pid: int
    sex: str
    forename: str
    middle: str | None
    surname: str
    dob: date | None
    nhs: str | None
    pupil: int = 0  # running pupil number; 0: not of school age when the data starts
    edd: date | None = None

    @property
    def upn(self) -> str | None:
        """The unique pupil number (made on demand: most renderings never show it)."""
        if not self.pupil or self.dob is None:
            return None
        return make_upn(self.pupil, self.dob.year + 5)

    def age_years(self, on: date) -> float | None:
        """Age on a day in years, None for an unborn baby."""
        if self.dob is None:
            return None
        return (on - self.dob).days / DAYS_PER_YEAR


@dataclass(frozen=True, slots=True)
class Parent:
    """An adult of the household (police notifications name them as victim or suspect)."""

    sex: str
    forename: str
    surname: str
    dob: date


@dataclass(slots=True)
class History:
    """What each agency knew about the household before the generation window started."""

    sc_status: str | None = None  # None: no social care record at all
    sc_referrals_12m: int = 0
    sc_last_s47_days_ago: int | None = None
    eh_open: bool | None = None  # None: no early help record
    eh_lead: str | None = None
    police_incidents_12m: int = 0
    open_marac: bool = False
    household_risk: bool = False
    police_known: bool = False

    @property
    def re_referral(self) -> bool:
        """Referred to children's social care in the 12 months before the window."""
        return self.sc_referrals_12m >= 1


@dataclass(slots=True)
class Household:
    """A family at an address. Referred households are kept for a while so a later referral
    (another agency, same children) can find them again."""

    hid: int
    group: str
    postcode: str
    previous_postcode: str | None
    mother: Parent
    partner: Parent | None
    father_surname: str
    history: History
    children: list[Person] = field(default_factory=list)

    def born_children(self) -> list[Person]:
        return [c for c in self.children if c.dob is not None]


class Counters:
    """The running numbers a data set needs unique: person ids, NHS numbers, UPNs.

    ``nhs_share``: the share of children given an NHS number. 1 unless the data set is too
    large for the 999 test range (about 900,000 numbers, enough for some 340,000 referrals);
    then the numbers are spread evenly over the whole data set rather than used up by its
    first third, so a long benchmark sees the same mix from start to end.
    """

    __slots__ = ("households", "nhs", "nhs_share", "persons", "pupils")

    def __init__(self, rng: Random) -> None:
        self.persons = 0
        self.households = 0
        self.pupils = 0
        self.nhs = NhsNumbers(rng)
        self.nhs_share = 1.0

    def next_nhs(self, rng: Random) -> str | None:
        if self.nhs_share < 1.0 and rng.random() >= self.nhs_share:
            return None
        return self.nhs.next()

    def next_person(self) -> int:
        self.persons += 1
        return self.persons

    def next_household(self) -> int:
        self.households += 1
        return self.households

    def next_pupil(self) -> int:
        self.pupils += 1
        return self.pupils


def random_postcode(rng: Random) -> str:
    """A Stockton-on-Tees (or neighbouring Teesside) postcode: a real sector, a made-up unit."""
    sector = postcode_sectors().pick(rng)
    a = UNIT_LETTERS[int(rng.random() * 20)]
    b = UNIT_LETTERS[int(rng.random() * 20)]
    return f"{sector.district} {sector.digit}{a}{b}"


def _nearby_postcode(rng: Random, postcode: str) -> str:
    """A move within the same district (most moves are local) or anywhere in the area."""
    if chance(rng, 0.6):
        district = postcode.split(" ")[0]
        moved = random_postcode(rng)
        for _ in range(8):
            if moved.startswith(district + " ") and moved != postcode:
                return moved
            moved = random_postcode(rng)
        return moved
    return random_postcode(rng)


def _name(rng: Random, group: str, kind: str) -> str:
    return name_pools().pool(group, kind).pick(rng)


class HouseholdFactory:
    """Makes households and their pre-window history, drawing every choice from one ``rng``."""

    def __init__(self, rng: Random, counters: Counters, start: date) -> None:
        self.rng = rng
        self.counters = counters
        self.start = start

    def child(
        self, household: Household, dob: date, sex: str | None = None, surname: str | None = None
    ) -> Person:
        """A child of the household born on ``dob`` (NHS number and, from school age, a UPN).
        Forenames mostly follow the family's tradition; about one child in twelve's do not."""
        rng = self.rng
        sex = sex or ("F" if rng.random() < 0.49 else "M")
        group = GROUPS.pick(rng) if rng.random() < 0.08 else household.group
        pool = name_pools().pool(group, "girl" if sex == "F" else "boy")
        forename = pool.pick(rng)
        middle = pool.pick(rng) if rng.random() < 0.35 else None
        if middle == forename:
            middle = None
        school_age = (self.start - dob).days >= 4 * DAYS_PER_YEAR
        return Person(
            pid=self.counters.next_person(),
            sex=sex,
            forename=forename,
            middle=middle,
            surname=surname or self._child_surname(household),
            dob=dob,
            nhs=self.counters.next_nhs(rng),
            pupil=self.counters.next_pupil() if school_age else 0,
        )

    def unborn(self, household: Household, edd: date) -> Person:
        """An unborn baby: recorded as "Baby <surname>" with an expected delivery date."""
        return Person(
            pid=self.counters.next_person(),
            sex="F" if chance(self.rng, 0.49) else "M",
            forename="Baby",
            middle=None,
            surname=household.mother.surname,
            dob=None,
            nhs=None,
            edd=edd,
        )

    def _child_surname(self, household: Household) -> str:
        rng = self.rng
        mother = household.mother.surname
        father = household.father_surname
        if mother == father:
            return father
        roll = rng.random()
        if roll < 0.72:
            return father
        if roll < 0.88:
            return mother
        return f"{mother}-{father}"

    def household(
        self,
        subject_ages: tuple[float, float],
        on: date,
        subject_sex: str | None = None,
        referred: bool = True,
        domestic_abuse: bool = False,
        unborn_edd: date | None = None,
    ) -> tuple[Household, Person]:
        """A new household whose subject child is aged within ``subject_ages`` on ``on`` (or is
        unborn, due on ``unborn_edd``), with siblings around that age, and its history."""
        rng = self.rng
        group = GROUPS.pick(rng)
        father_surname = _name(rng, group, "surname")
        mother_surname = father_surname if chance(rng, 0.55) else _name(rng, group, "surname")
        postcode = random_postcode(rng)
        previous = _nearby_postcode(rng, postcode) if chance(rng, 0.10) else None
        if unborn_edd is not None:
            anchor = rng.uniform(1, 8) * DAYS_PER_YEAR
            sibling_ages = self._sibling_ages(rng, anchor) if chance(rng, 0.55) else []
            subject_age_days = 0
        else:
            subject_age_days = int(rng.uniform(*subject_ages) * DAYS_PER_YEAR)
            sibling_ages = self._sibling_ages(rng, subject_age_days)[1:]
        eldest = max([subject_age_days, *sibling_ages])
        mother = self._parent(rng, group, mother_surname, on, int(eldest))
        household = Household(
            hid=self.counters.next_household(),
            group=group,
            postcode=postcode,
            previous_postcode=previous,
            mother=mother,
            partner=self._partner(rng, group, father_surname, mother),
            father_surname=father_surname,
            history=History(),
        )
        if unborn_edd is not None:
            subject = self.unborn(household, unborn_edd)
        else:
            subject = self.child(household, on - timedelta(days=subject_age_days), subject_sex)
        children = [self.child(household, on - timedelta(days=int(a))) for a in sibling_ages]
        if subject.dob is not None and chance(rng, 0.015):  # twins: same dob, same surname
            children.append(self.child(household, subject.dob, surname=subject.surname))
        children.append(subject)
        children.sort(key=lambda c: c.dob or date.max)
        household.children = children
        household.history = self._history(rng, referred, domestic_abuse)
        return household, subject

    @staticmethod
    def _parent(rng: Random, group: str, surname: str, on: date, eldest_age_days: int) -> Parent:
        """The mother: 17 to 42 (most often late twenties) when her eldest was born."""
        age_at_birth = rng.triangular(17, 42, 27)
        dob = on - timedelta(days=eldest_age_days + int(age_at_birth * DAYS_PER_YEAR))
        return Parent(sex="F", forename=_name(rng, group, "woman"), surname=surname, dob=dob)

    def _partner(
        self, rng: Random, group: str, father_surname: str, mother: Parent
    ) -> Parent | None:
        if not chance(rng, 0.7):
            return None
        surname = father_surname if chance(rng, 0.65) else _name(rng, group, "surname")
        dob = mother.dob - timedelta(days=int(rng.triangular(-4, 10, 2) * DAYS_PER_YEAR))
        return Parent(sex="M", forename=_name(rng, group, "man"), surname=surname, dob=dob)

    @staticmethod
    def _sibling_ages(rng: Random, anchor_days: float) -> list[float]:
        """Ages in days of a sibship around ``anchor_days`` (first element): 1-6 years apart,
        all under 18. The caller drops the anchor when it is the subject child."""
        wanted = CHILDREN_PER_HOUSEHOLD.pick(rng)
        ages: list[float] = [anchor_days]
        for _ in range(wanted * 3):
            if len(ages) >= wanted:
                break
            gap = rng.uniform(1.0, 6.0) * DAYS_PER_YEAR * (1 if chance(rng, 0.5) else -1)
            age = ages[int(rng.random() * len(ages))] + gap
            if 0 <= age < 18 * DAYS_PER_YEAR and all(abs(age - a) > 300 for a in ages):
                ages.append(age)
        return ages

    def _history(self, rng: Random, referred: bool, domestic_abuse: bool) -> History:
        history = History()
        if referred and chance(rng, RE_REFERRAL_RATE):
            history.sc_status = SOCIAL_CARE_STATUS_KNOWN.pick(rng)
            history.sc_referrals_12m = 1 + small_count(rng, 0.45, 5)
            history.sc_last_s47_days_ago = _recent_s47(rng, history.sc_status)
        elif chance(rng, 0.14 if referred else 0.12):
            history.sc_status = "CLOSED" if chance(rng, 0.7) else "NONE"
            if chance(rng, 0.1):
                history.sc_last_s47_days_ago = rng.randint(400, 1500)
        elif not referred and chance(rng, 0.03):
            history.sc_status = SOCIAL_CARE_STATUS_KNOWN.pick(rng)
            history.sc_last_s47_days_ago = _recent_s47(rng, history.sc_status)
        self._early_help(rng, history)
        self._police(rng, history, domestic_abuse)
        return history

    @staticmethod
    def _early_help(rng: Random, history: History) -> None:
        status = history.sc_status
        if status in ("CP_PLAN", "LOOKED_AFTER"):
            p_open = 0.01
        elif status == "OPEN_CIN":
            p_open = 0.05
        elif status is not None:
            p_open = 0.22
        else:
            p_open = 0.09
        if chance(rng, p_open):
            history.eh_open = True
            history.eh_lead = LEAD_PROFESSIONALS[int(rng.random() * len(LEAD_PROFESSIONALS))]
        elif chance(rng, 0.12):
            history.eh_open = False

    @staticmethod
    def _police(rng: Random, history: History, domestic_abuse: bool) -> None:
        if chance(rng, 0.45 if domestic_abuse else 0.06):
            history.police_incidents_12m = 1 + small_count(rng, 0.9, 11)
            history.open_marac = chance(rng, 0.35 if history.police_incidents_12m >= 3 else 0.08)
        history.household_risk = chance(rng, 0.06 if history.sc_status else 0.02)
        history.police_known = (
            history.police_incidents_12m > 0
            or history.open_marac
            or history.household_risk
            or chance(rng, 0.03)
        )


def _recent_s47(rng: Random, status: str) -> int | None:
    """Days since the last s47 enquiry: every child protection plan follows one."""
    if status == "CP_PLAN":
        return rng.randint(20, 330)
    if status == "LOOKED_AFTER":
        return rng.randint(30, 365) if chance(rng, 0.6) else None
    probability = 0.25 if status == "OPEN_CIN" else 0.12
    return rng.randint(15, 360) if chance(rng, probability) else None
