"""Statutory clocks: working days, office hours and the deadline of each route.

Working Together to Safeguard Children (2023) sets the clocks in working days: a decision on a
contact within one working day of receipt; where there is reasonable cause to suspect
significant harm (our ``s47`` route), a strategy discussion the same day; and the hub's own
standard of transferring a case out of the front door within five working days. Bank holidays
are England and Wales (``holidays.UK(subdiv="ENG")``, which also knows substitute days such as
Boxing Day 2026 observed on Monday 28 December).

Rules used here, so that every deadline can be explained to a manager:

- The clock starts on the *start day*: the day of receipt if it is a working day and the
  referral arrived before the office closed; otherwise the next working day (a referral
  arriving at 18:00, at the weekend or on a bank holiday counts from the next working morning).
- A deadline of *N working days* is the close of office on the N-th working day after the
  start day: ``s47`` N = 0 (close of the start day), ``assessment``/``caf``/``universal`` N = 1,
  transfer N = 5.
- Office hours are local time (Europe/London by default), so 17:00 is 16:00Z in summer and
  17:00Z in winter; every deadline is returned as an aware UTC datetime.
- Optionally (``out_of_hours_s47``) an s47 referral arriving outside office hours gets a
  deadline that long after arrival instead, for areas whose emergency duty team holds
  strategy discussions out of hours.

Nothing here reads the wall clock: the time comes from an injected :class:`Clock`.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Final, Protocol
from zoneinfo import ZoneInfo

from mash.domain.routes import Route
from mash.domain.values import as_utc

# Working days from the start day to each route's deadline: ``Route.working_days``.
TRANSFER_WORKING_DAYS: Final = 5
_START_CACHE: Final = 4096


class Clock(Protocol):
    """Where "now" comes from; injected so that tests and replays control time."""

    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    """The wall clock, in UTC: the production clock, the only impure thing in this module."""

    def now(self) -> datetime:
        return datetime.now(UTC)


@dataclass
class FixedClock:
    """A clock that says what it is told: for tests, replays and what-if runs."""

    at: datetime

    def now(self) -> datetime:
        return self.at

    def advance(self, delta: timedelta) -> datetime:
        """Move time forward (e.g. to walk an SLA tracker through a day)."""
        self.at = self.at + delta
        return self.at


def england_and_wales_holidays() -> Container[date]:
    """Bank holidays of England and Wales, years expanded on demand by the ``holidays``
    package (imported here so that a calendar with its own holiday list never needs it)."""
    import holidays

    return holidays.country_holidays("GB", subdiv="ENG")


@dataclass(frozen=True, slots=True)
class OfficeHours:
    """When the hub is open, in its local time zone."""

    start: time = time(9, 0)
    end: time = time(17, 0)
    tz: str = "Europe/London"


@dataclass
class WorkingCalendar:
    """Working days (Monday to Friday, not bank holidays) and office hours."""

    hours: OfficeHours = field(default_factory=OfficeHours)
    holidays: Container[date] = field(default_factory=england_and_wales_holidays)
    out_of_hours_s47: timedelta | None = None
    _zone: ZoneInfo = field(init=False, repr=False)
    _working: dict[date, bool] = field(init=False, repr=False, default_factory=dict)
    _closes: dict[tuple[date, int], datetime] = field(init=False, repr=False, default_factory=dict)
    _starts: dict[datetime, date] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._zone = ZoneInfo(self.hours.tz)

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday and not a bank holiday (cached: asked for every referral)."""
        known = self._working.get(day)
        if known is None:
            known = day.weekday() < 5 and day not in self.holidays
            self._working[day] = known
        return known

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def add_working_days(self, day: date, count: int) -> date:
        """The ``count``-th working day after ``day`` (``day`` itself when count is 0)."""
        for _ in range(count):
            day = self.next_working_day(day)
        return day

    def local(self, moment: datetime) -> datetime:
        """An instant in the office's time zone (naive input is taken as UTC)."""
        return as_utc(moment).astimezone(self._zone)

    def in_office_hours(self, moment: datetime) -> bool:
        """Whether the hub is open at ``moment``."""
        local = self.local(moment)
        return (
            self.is_working_day(local.date()) and self.hours.start <= local.time() < self.hours.end
        )

    def start_day(self, received_at: datetime) -> date:
        """The working day the clock starts on (module docstring). Cached by UTC instant
        (a batch shares one receipt time; keyed in UTC because equal local times in one
        zone compare equal even an hour apart across a clock change), bounded."""
        instant = as_utc(received_at)
        day = self._starts.get(instant)
        if day is None:
            day = self._start_day(instant)
            if len(self._starts) >= _START_CACHE:
                self._starts.clear()
            self._starts[instant] = day
        return day

    def _start_day(self, received_at: datetime) -> date:
        local = self.local(received_at)
        day = local.date()
        if self.is_working_day(day) and local.time() < self.hours.end:
            return day
        return self.next_working_day(day)

    def close_of(self, day: date) -> datetime:
        """Close of office on ``day``, in UTC."""
        return datetime.combine(day, self.hours.end, tzinfo=self._zone).astimezone(UTC)

    def opening_of(self, day: date) -> datetime:
        """Opening of office on ``day``, in UTC."""
        return datetime.combine(day, self.hours.start, tzinfo=self._zone).astimezone(UTC)

    def working_days_deadline(self, received_at: datetime, days: int) -> datetime:
        """Close of office on the ``days``-th working day after the start day (cached per
        start day: every referral of a day shares its deadlines)."""
        start = self.start_day(received_at)
        due = self._closes.get((start, days))
        if due is None:
            due = self.close_of(self.add_working_days(start, days))
            self._closes[(start, days)] = due
        return due


def deadline_for(route: Route | str, received_at: datetime, calendar: WorkingCalendar) -> datetime:
    """When the hub must have acted on a child routed to ``route`` (aware UTC).

    ``s47``: a strategy discussion by close of the start day (or ``out_of_hours_s47`` after an
    out-of-hours arrival, when configured). Other routes: a decision on the contact by close of
    the next working day after the start day. Unknown routes get the strictest clock (s47),
    so a misconfigured rule set can only shorten a deadline.
    """
    known = Route.parse(route)
    days = known.working_days if known is not None else 0
    if (
        days == 0
        and calendar.out_of_hours_s47 is not None
        and not calendar.in_office_hours(received_at)
    ):
        return as_utc(received_at) + calendar.out_of_hours_s47
    return calendar.working_days_deadline(received_at, days)


def transfer_deadline(received_at: datetime, calendar: WorkingCalendar) -> datetime:
    """When the case must have left the front door: close of the 5th working day."""
    return calendar.working_days_deadline(received_at, TRANSFER_WORKING_DAYS)
