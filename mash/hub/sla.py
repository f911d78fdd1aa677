"""Red/amber/green against the statutory deadline, SLA reports and which alerts are due.

The deadline itself comes from the domain's working-day clocks (it rides on every decision);
this module only asks how much of the time between receipt and deadline has gone. ``now`` is
always passed in, never read from the wall clock, so tests can stand at any moment.

Amber starts at 80% of the time: a warning early enough that a manager can still act. "The
time" is *working* time when a :class:`WorkingCalendar` is given (the hub's policy): a contact
that arrives on Friday evening with a Tuesday deadline turns amber on Tuesday afternoon, not on
Monday night while the office is shut. Without a calendar it is plain elapsed time.

Three clocks raise alerts, each alert once per item (the tracker remembers what it sent):

- the *decision* clock (``SLA_*``): receipt to the route's deadline, while no person has decided;
- the *front-door* clock (``FRONT_DOOR_*``): receipt to the close of the fifth working day
  (:func:`mash.domain.clocks.transfer_deadline`), while the child is still in the front door,
  decided or not; always in working time, since its deadline is counted in working days;
- the *emergency duty team* clock (``EDT_*``): an s47 child whose referral arrived outside office
  hours is dispatched at once to the EDT (``EDT_DISPATCH``); the EDT has ``SlaPolicy.edt`` (one
  hour by default, ``MASH_EDT_HOURS``) from receipt to pick the child up, and picking up is
  *claiming* the item (the EDT worker claims it on the s47 queue, as hub staff do). The item stays
  on the s47 queue throughout, so in the morning it is simply the hub's again.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mash.domain.clocks import WorkingCalendar, transfer_deadline
from mash.domain.routes import Route
from mash.hub.model import ItemState, WorkItem, iso

WARNING_FRACTION = 0.8
EDT_WINDOW = timedelta(hours=1)
"""How long the emergency duty team has, from receipt, to pick up an out-of-hours s47 child."""


class Rag(StrEnum):
    """Red/amber/green status; always shown with its words too, never by colour alone."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"

    @property
    def label(self) -> str:
        """What the status means to a reader who cannot see the colour."""
        return {"green": "On time", "amber": "Due soon", "red": "Breached"}[self.value]


class AlertKind(StrEnum):
    """The alerts the tracker publishes to ``mash.alerts``, once each per item."""

    WARNING = "SLA_WARNING"
    BREACH = "SLA_BREACH"
    FRONT_DOOR_WARNING = "FRONT_DOOR_WARNING"
    FRONT_DOOR_BREACH = "FRONT_DOOR_BREACH"
    EDT_DISPATCH = "EDT_DISPATCH"
    EDT_WARNING = "EDT_WARNING"
    EDT_BREACH = "EDT_BREACH"


DECISION_KINDS: frozenset[AlertKind] = frozenset({AlertKind.WARNING, AlertKind.BREACH})
FRONT_DOOR_KINDS: frozenset[AlertKind] = frozenset(
    {AlertKind.FRONT_DOOR_WARNING, AlertKind.FRONT_DOOR_BREACH}
)
EDT_KINDS: frozenset[AlertKind] = frozenset(
    {AlertKind.EDT_DISPATCH, AlertKind.EDT_WARNING, AlertKind.EDT_BREACH}
)


@functools.cache
def _default_calendar() -> WorkingCalendar:
    """England and Wales office hours: the front-door clock's calendar when a policy has none."""
    return WorkingCalendar()


def _working_windows(
    calendar: WorkingCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The stretches of office hours between ``start`` and ``end``, in order."""
    day = calendar.local(start).date()
    last = calendar.local(end).date()
    while day <= last:
        if calendar.is_working_day(day):
            opens = max(start, calendar.opening_of(day))
            closes = min(end, calendar.close_of(day))
            if opens < closes:
                yield opens, closes
        day += timedelta(days=1)


def working_warning_at(
    calendar: WorkingCalendar, received_at: datetime, deadline: datetime, fraction: float
) -> datetime | None:
    """When ``fraction`` of the office hours between receipt and deadline have gone.

    None when there are no office hours in between (an out-of-hours s47 deadline).
    """
    windows = list(_working_windows(calendar, received_at, deadline))
    total = sum(((b - a) for a, b in windows), timedelta())
    if total <= timedelta():
        return None
    remaining = total * fraction
    for opens, closes in windows:
        if opens + remaining <= closes:
            return opens + remaining
        remaining -= closes - opens
    return windows[-1][1]


@dataclass(frozen=True)
class SlaPolicy:
    """How "80% of the time" is measured: office hours of ``calendar``, or elapsed time.

    ``edt`` is the emergency duty team's time to pick up an out-of-hours s47 child. The
    front-door clock always counts working days and office hours: of ``calendar``, or of
    England and Wales when there is none.
    """

    calendar: WorkingCalendar | None = None
    fraction: float = WARNING_FRACTION
    edt: timedelta = EDT_WINDOW
    _cache: dict[tuple[datetime, datetime], datetime] = field(
        default_factory=dict, compare=False, repr=False
    )
    _front: dict[datetime, tuple[datetime, datetime]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def warning_at(self, received_at: datetime, deadline: datetime) -> datetime:
        """The moment the item turns amber and its warning is due."""
        key = (received_at, deadline)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        moment = None
        if self.calendar is not None:
            moment = working_warning_at(self.calendar, received_at, deadline, self.fraction)
        if moment is None:
            moment = received_at + (deadline - received_at) * self.fraction
        if len(self._cache) < 100_000:
            self._cache[key] = moment
        return moment

    @property
    def front_door_calendar(self) -> WorkingCalendar:
        return self.calendar or _default_calendar()

    def front_door(self, received_at: datetime) -> tuple[datetime, datetime]:
        """The front-door clock of a child received at ``received_at``: (warning, deadline),
        the deadline the close of the fifth working day, the warning at 80% of the office
        hours until then."""
        cached = self._front.get(received_at)
        if cached is not None:
            return cached
        calendar = self.front_door_calendar
        deadline = transfer_deadline(received_at, calendar)
        warning = working_warning_at(calendar, received_at, deadline, self.fraction)
        clock = (warning or received_at + (deadline - received_at) * self.fraction, deadline)
        if len(self._front) < 100_000:
            self._front[received_at] = clock
        return clock

    def edt_clock(self, received_at: datetime) -> tuple[datetime, datetime]:
        """The EDT clock (elapsed time: the EDT works out of hours): (warning, deadline)."""
        return received_at + self.edt * self.fraction, received_at + self.edt

    def dispatched_to_edt(self, item: WorkItem) -> bool:
        """Whether ``item`` went to the emergency duty team on arrival: the router put the child
        on s47 and the referral came in outside office hours."""
        if item.routed_to != Route.S47.value:
            return False
        return not self.front_door_calendar.in_office_hours(item.received_at)


ELAPSED = SlaPolicy()
"""Plain elapsed time: for tests and for deadlines not set by working days."""


def hub_policy(calendar: WorkingCalendar | None = None, edt: timedelta | None = None) -> SlaPolicy:
    """The hub's policy: working time of England and Wales office hours (and ``edt``, the
    emergency duty team's time, :data:`EDT_WINDOW` unless given: see ``MASH_EDT_HOURS``)."""
    return SlaPolicy(calendar or WorkingCalendar(), edt=edt if edt is not None else EDT_WINDOW)


def warning_at(received_at: datetime, deadline: datetime, policy: SlaPolicy = ELAPSED) -> datetime:
    """The moment 80% of the time from receipt to deadline has passed."""
    return policy.warning_at(received_at, deadline)


def rag(
    received_at: datetime, deadline: datetime, now: datetime, policy: SlaPolicy = ELAPSED
) -> Rag:
    """Green before 80% of the time, amber from then until the deadline, red after it."""
    if now > deadline:
        return Rag.RED
    if now >= policy.warning_at(received_at, deadline):
        return Rag.AMBER
    return Rag.GREEN


def item_rag(item: WorkItem, now: datetime, policy: SlaPolicy = ELAPSED) -> Rag:
    """The RAG status of a work item (decided items keep the status they were decided at)."""
    moment = now if item.is_open or item.decided_at is None else item.decided_at
    return rag(item.received_at, item.deadline, moment, policy)


def alerts_due(
    item: WorkItem, sent: Iterable[str], now: datetime, policy: SlaPolicy = ELAPSED
) -> list[AlertKind]:
    """The alerts to publish now for ``item``, given those already ``sent``.

    The decision clock only: see :func:`clock_alerts_due` for every clock.
    An item first seen past its deadline (a tracker that was down) gets its warning and its
    breach together, so every breach has had a warning. Decided items get nothing more.
    """
    if not item.is_open:
        return []
    status = rag(item.received_at, item.deadline, now, policy)
    return _pair(status, set(sent), AlertKind.WARNING, AlertKind.BREACH)


def _pair(status: Rag, done: set[str], warning: AlertKind, breach: AlertKind) -> list[AlertKind]:
    due = []
    if status in (Rag.AMBER, Rag.RED) and warning not in done:
        due.append(warning)
    if status is Rag.RED and breach not in done:
        due.append(breach)
    return due


def front_door_rag(item: WorkItem, now: datetime, policy: SlaPolicy = ELAPSED) -> Rag:
    """Where ``item`` stands against the five-working-day clock (ended items: when they left)."""
    warning, deadline = policy.front_door(item.received_at)
    moment = now if item.in_front_door or item.ended_at is None else item.ended_at
    if moment > deadline:
        return Rag.RED
    return Rag.AMBER if moment >= warning else Rag.GREEN


def front_door_alerts_due(
    item: WorkItem, sent: Iterable[str], now: datetime, policy: SlaPolicy = ELAPSED
) -> list[AlertKind]:
    """The five-working-day clock's alerts due now, for any item still in the front door."""
    if not item.in_front_door:
        return []
    status = front_door_rag(item, now, policy)
    return _pair(status, set(sent), AlertKind.FRONT_DOOR_WARNING, AlertKind.FRONT_DOOR_BREACH)


def edt_alerts_due(
    item: WorkItem, sent: Iterable[str], now: datetime, policy: SlaPolicy = ELAPSED
) -> list[AlertKind]:
    """The emergency duty team's alerts due now.

    The dispatch goes as soon as the tracker sees an unclaimed out-of-hours s47 child; the
    warning (80% of the EDT's time) and breach only while nobody has claimed it: a claim is
    the EDT (or the hub) picking the child up, and stops this clock. A tracker that was down
    sends what is due together, the dispatch first.
    """
    if item.state is not ItemState.ROUTED or item.handed_back or not policy.dispatched_to_edt(item):
        return []  # picked up (claimed, or handed back in the morning with what was done)
    done = set(sent)
    due = [] if AlertKind.EDT_DISPATCH in done else [AlertKind.EDT_DISPATCH]
    warning, deadline = policy.edt_clock(item.received_at)
    status = Rag.RED if now > deadline else Rag.AMBER if now >= warning else Rag.GREEN
    return due + _pair(status, done, AlertKind.EDT_WARNING, AlertKind.EDT_BREACH)


def clock_alerts_due(
    item: WorkItem, sent: Iterable[str], now: datetime, policy: SlaPolicy = ELAPSED
) -> list[AlertKind]:
    """Every alert due now, on every clock: emergency duty team, decision, front door."""
    done = set(sent)
    return (
        edt_alerts_due(item, done, now, policy)
        + alerts_due(item, done, now, policy)
        + front_door_alerts_due(item, done, now, policy)
    )


def clock_of(
    item: WorkItem, kind: AlertKind, policy: SlaPolicy = ELAPSED
) -> tuple[datetime, datetime]:
    """The (warning, deadline) of the clock an alert of ``kind`` is about."""
    if kind in FRONT_DOOR_KINDS:
        return policy.front_door(item.received_at)
    if kind in EDT_KINDS:
        return policy.edt_clock(item.received_at)
    return policy.warning_at(item.received_at, item.deadline), item.deadline


def alert_message(
    item: WorkItem, kind: AlertKind, now: datetime, policy: SlaPolicy = ELAPSED
) -> dict[str, Any]:
    """The alert as published: ids and times only, and an ``alert_id`` consumers can dedupe on.

    ``warning_at`` and ``deadline`` are those of the clock the ``kind`` is about.
    """
    warning, deadline = clock_of(item, kind, policy)
    return {
        "alert_id": f"{item.decision_id}:{kind.value}",
        "kind": kind.value,
        "decision_id": item.decision_id,
        "route": item.route,
        "state": item.state.value,
        "received_at": iso(item.received_at),
        "warning_at": iso(warning),
        "deadline": iso(deadline),
        "at": iso(now),
    }


@dataclass(frozen=True, slots=True)
class QueueSla:
    """One queue's line of the SLA report (open items only)."""

    route: str
    on_time: int
    due_soon: int
    breached: int
    oldest_id: str | None
    oldest_age: timedelta | None

    @property
    def open(self) -> int:
        return self.on_time + self.due_soon + self.breached

    def to_dict(self) -> dict[str, Any]:
        return {
            "route": self.route,
            "open": self.open,
            "on_time": self.on_time,
            "due_soon": self.due_soon,
            "breached": self.breached,
            "oldest_id": self.oldest_id,
            "oldest_age_seconds": (
                int(self.oldest_age.total_seconds()) if self.oldest_age is not None else None
            ),
        }


def _queue_sla(route: str, items: list[WorkItem], now: datetime, policy: SlaPolicy) -> QueueSla:
    statuses = [rag(i.received_at, i.deadline, now, policy) for i in items]
    counts: Mapping[Rag, int] = {status: statuses.count(status) for status in Rag}
    oldest = min(items, key=lambda i: (i.received_at, i.decision_id), default=None)
    return QueueSla(
        route=route,
        on_time=counts[Rag.GREEN],
        due_soon=counts[Rag.AMBER],
        breached=counts[Rag.RED],
        oldest_id=oldest.decision_id if oldest else None,
        oldest_age=now - oldest.received_at if oldest else None,
    )


def sla_report(
    items: Iterable[WorkItem],
    now: datetime,
    routes: Iterable[str] = Route.ordered(),
    policy: SlaPolicy = ELAPSED,
) -> list[QueueSla]:
    """Per queue: open items on time, due soon and breached, and the oldest one waiting."""
    open_items = [i for i in items if i.is_open]
    return [_queue_sla(r, [i for i in open_items if i.route == r], now, policy) for r in routes]


@dataclass(frozen=True, slots=True)
class BeyondFrontDoor:
    """A child still in the front door past the close of the fifth working day."""

    decision_id: str
    route: str
    state: str
    received_at: datetime
    deadline: datetime
    overdue: timedelta

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "route": self.route,
            "state": self.state,
            "received_at": iso(self.received_at),
            "deadline": iso(self.deadline),
            "overdue_seconds": int(self.overdue.total_seconds()),
        }


def beyond_five_days(
    items: Iterable[WorkItem], now: datetime, policy: SlaPolicy = ELAPSED
) -> list[BeyondFrontDoor]:
    """The children beyond five working days: still in the front door (decided or not) past
    their transfer deadline, longest overdue first."""
    beyond = []
    for item in items:
        if not item.in_front_door:
            continue
        _, deadline = policy.front_door(item.received_at)
        if now > deadline:
            beyond.append(
                BeyondFrontDoor(
                    item.decision_id,
                    item.route,
                    item.state.value,
                    item.received_at,
                    deadline,
                    now - deadline,
                )
            )
    return sorted(beyond, key=lambda b: (b.deadline, b.decision_id))


def format_age(age: timedelta) -> str:
    """A short human age ("2d 3h", "4h 05m", "12m") for tables where space is tight."""
    minutes = max(0, int(age.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins:02d}m"
    return f"{mins}m"
