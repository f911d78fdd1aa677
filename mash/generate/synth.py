"""The generator's loop: referrals over a window of days, with the records behind them.

For each referral: draw the channel (who refers) and scenario (about what), find the family (a
new household, or, now and then, one referred recently by another agency: the same children
seen twice, spelt differently), emit the family's agency records the first time it appears,
then the referral itself. A background population of households that are never referred is
emitted alongside, so record lookups search a realistic haystack, with the odd namesake (same
name, different child) to keep identity matching honest.

Everything comes from one ``random.Random(seed)`` and the given start: same arguments, same
items, in the same order, on any machine.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import Any

from mash.generate.identifiers import Sequence
from mash.generate.mix import Channel, Scenario, SourceMix, build_channels
from mash.generate.population import Counters, Household, HouseholdFactory, Person
from mash.generate.records import RecordIds, household_records
from mash.generate.referrals import (
    ReferralContext,
    council_referral,
    health_referral,
    police_referral,
)
from mash.generate.sampling import chance

DEFAULT_START = datetime(2026, 11, 2)
"""Monday 2 November 2026, 00:00 UTC: a fixed default so output never depends on the clock."""
DEFAULT_DAYS = 30

REFERRAL_SUBJECTS = ("police", "health", "council")
RECORD_SUBJECTS = (
    "records.social-care",
    "records.early-help",
    "records.police",
    "records.health",
)
SUBJECTS = REFERRAL_SUBJECTS + RECORD_SUBJECTS
"""Item subjects: the schema registry's subject names (agency referrals, then record kinds)."""

REUSE = 0.07
"""Share of referrals about a family another referral in the window already named (a police
notification, then the school's referral for the same child)."""
RECENT = 4096
BACKGROUND = 0.2
NAMESAKE = 0.05
NHS_CAPACITY = 880_000
NHS_PER_REFERRAL = 2.6
"""Valid numbers in the 999 test range (900,000, less a margin) and the children a referral
brings with it (its own, their siblings, the background population: about 2.4 measured)."""
V2_SHARE = (0.25, 0.85)
"""Police notifications on schema v2 at the start and the end of the window: forces upgrade
system by system, so both versions are live at once and v2 grows over time."""


@dataclass(frozen=True, slots=True)
class Item:
    """One generated message with its ground truth.

    ``subject``: ``police``, ``health``, ``council`` or ``records.<kind>``. ``persons``: the
    true identities of the children it is about (a referral's in its own order, a record's one
    person), so tests and benchmarks can score identity matching. ``source_code``: the census
    referral source (referrals only); ``re_referral``: the family was referred in the
    previous 12 months.
    """

    subject: str
    value: dict[str, Any]
    household: int
    persons: tuple[int, ...]
    source_code: str | None = None
    scenario: str | None = None
    re_referral: bool = False


@dataclass
class Stats:
    """Counts a summary reports (no personal data)."""

    referrals: int = 0
    children: int = 0
    children_by_source: dict[str, int] = field(default_factory=dict)
    re_referrals: int = 0
    police_v2: int = 0
    nhs_numbers: int = 0
    nhs_share: float = 1.0
    nhs_exhausted: bool = False


class Synthesiser:
    """Generates one data set: ``n`` referrals (given to :meth:`items`, called once) over
    ``days`` days from ``start`` (UTC)."""

    def __init__(self, seed: int, start: datetime = DEFAULT_START, days: int = DEFAULT_DAYS):
        if days < 1:
            raise ValueError("days must be at least 1")
        self.rng = rng = Random(seed)
        self.start = start.replace(tzinfo=None)
        self.days = days
        self.counters = Counters(rng)
        self.factory = HouseholdFactory(rng, self.counters, self.start.date())
        self.mix = SourceMix(build_channels())
        self.references = {
            "police": Sequence("PPN-", rng),
            "health": Sequence("NHS-", rng),
            "council": Sequence("REQ-", rng),
        }
        self.record_ids = RecordIds.create(rng)
        self.school_urns = tuple(str(u) for u in rng.sample(range(110000, 150000), 80))
        self.recent: list[Household] = []
        self.stats = Stats()

    def items(self, n: int) -> Iterator[Item]:
        """Records and referrals, in the order a live system would publish them."""
        if n < 0:
            raise ValueError("the number of referrals cannot be negative")
        if self.stats.referrals or self.counters.persons:
            raise RuntimeError("a Synthesiser makes one data set: create another for more")
        self.counters.nhs_share = min(1.0, NHS_CAPACITY / (NHS_PER_REFERRAL * max(n, 1)))
        first_day = self.start.date()
        for i in range(n):
            day = first_day + timedelta(days=i * self.days // n)
            yield from self._one(day, i / n)
        self.stats.nhs_numbers = self.counters.nhs.issued
        self.stats.nhs_share = round(self.counters.nhs_share, 4)
        self.stats.nhs_exhausted = self.counters.nhs.exhausted

    def _one(self, day: date, progress: float) -> Iterator[Item]:
        rng = self.rng
        channel = self.mix.pick(rng)
        scenario = channel.scenarios.pick(rng)
        found = self._recent_family(scenario, day)
        if found is None:
            household, subject = self._new_family(channel, scenario, day)
            yield from self._records(household, referred=True)
            yield from self._background(household, day)
        else:
            household, subject = found
        ctx = ReferralContext(
            day=day,
            reference=self.references[channel.agency].next(),
            school_urns=self.school_urns,
        )
        value, children = self._build(channel, scenario, ctx, household, subject, progress)
        self._count(channel, value, children, household)
        yield Item(
            subject=channel.agency,
            value=value,
            household=household.hid,
            persons=tuple(c.pid for c in children),
            source_code=channel.source_code,
            scenario=scenario.key,
            re_referral=household.history.re_referral,
        )

    def _build(
        self,
        channel: Channel,
        scenario: Scenario,
        ctx: ReferralContext,
        household: Household,
        subject: Person,
        progress: float,
    ) -> tuple[dict[str, Any], list[Person]]:
        rng = self.rng
        if channel.agency == "police":
            low, high = V2_SHARE
            v2 = chance(rng, low + (high - low) * progress)
            built = police_referral(rng, ctx, household, subject, channel.channel, scenario, v2)
            self.mix.observe_police(len(built[1]))
            return built
        if channel.agency == "health":
            return health_referral(rng, ctx, household, subject, channel.channel, scenario)
        return council_referral(rng, ctx, household, subject, channel.channel, scenario)

    def _count(
        self, channel: Channel, value: dict[str, Any], children: list[Person], household: Household
    ) -> None:
        stats = self.stats
        stats.referrals += 1
        stats.children += len(children)
        by_source = stats.children_by_source
        by_source[channel.source_code] = by_source.get(channel.source_code, 0) + len(children)
        stats.re_referrals += household.history.re_referral
        stats.police_v2 += "dash_score" in value

    def _recent_family(self, scenario: Scenario, day: date) -> tuple[Household, Person] | None:
        """Now and then, a family referred earlier in the window, if it has a child who fits."""
        rng = self.rng
        if scenario.unborn or not self.recent or not chance(rng, REUSE):
            return None
        household = self.recent[int(rng.random() * len(self.recent))]
        low, high = scenario.ages
        for child in household.children:
            age = child.age_years(day)
            if age is not None and low <= age < high and scenario.sex in (None, child.sex):
                return household, child
        return None

    def _new_family(
        self, channel: Channel, scenario: Scenario, day: date
    ) -> tuple[Household, Person]:
        if scenario.unborn:
            edd = day + timedelta(days=self.rng.randint(14, 200))
            household, subject = self.factory.household((0, 0), day, unborn_edd=edd)
        else:
            household, subject = self.factory.household(
                scenario.ages,
                day,
                subject_sex=scenario.sex,
                domestic_abuse=channel.channel == "DOMESTIC_ABUSE",
            )
        if len(self.recent) < RECENT:
            self.recent.append(household)
        else:
            self.recent[household.hid % RECENT] = household
        return household, subject

    def _background(self, referred: Household, day: date) -> Iterator[Item]:
        """A household no one refers, whose children the agencies know all the same."""
        rng = self.rng
        if not chance(rng, BACKGROUND):
            return
        household, subject = self.factory.household((0, 18), day, referred=False)
        born = referred.born_children()
        if born and chance(rng, NAMESAKE):
            model = born[int(rng.random() * len(born))]
            twin = dataclasses.replace(subject, forename=model.forename, surname=model.surname)
            household.children = [twin if c is subject else c for c in household.children]
        yield from self._records(household, referred=False)

    def _records(self, household: Household, referred: bool) -> Iterator[Item]:
        for kind, child, record in household_records(
            self.rng, self.record_ids, household, self.start, referred
        ):
            yield Item(f"records.{kind}", record, household.hid, (child.pid,))
