"""Red/amber/green against the statutory deadline, SLA reports and which alerts are due.

The deadline itself comes from the domain's working-day clocks (it rides on every decision);
this module only asks how much of the time between receipt and deadline has gone. ``now`` is
always passed in, never read from the wall clock, so tests can stand at any moment.

Amber starts at 80% of the time: a warning early enough that a manager can still act. "The
time" is *working* time when a :class:`WorkingCalendar` is given (the hub's policy): a contact
that arrives on Friday evening with a Tuesday deadline turns amber on Tuesday afternoon, not on
Monday night while the office is shut. Without a calendar it is plain elapsed time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from mash.domain.clocks import WorkingCalendar
from mash.domain.routes import Route
from mash.hub.model import WorkItem, iso

WARNING_FRACTION = 0.8


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
    """The two alerts the tracker publishes to ``mash.alerts``, once each per item."""

    WARNING = "SLA_WARNING"
    BREACH = "SLA_BREACH"


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
    """How "80% of the time" is measured: office hours of ``calendar``, or elapsed time."""

    calendar: WorkingCalendar | None = None
    fraction: float = WARNING_FRACTION
    _cache: dict[tuple[datetime, datetime], datetime] = field(
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


ELAPSED = SlaPolicy()
"""Plain elapsed time: for tests and for deadlines not set by working days."""


def hub_policy(calendar: WorkingCalendar | None = None) -> SlaPolicy:
    """The hub's policy: working time of England and Wales office hours."""
    return SlaPolicy(calendar or WorkingCalendar())


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

    An item first seen past its deadline (a tracker that was down) gets its warning and its
    breach together, so every breach has had a warning. Decided items get nothing more.
    """
    if not item.is_open:
        return []
    done = set(sent)
    status = rag(item.received_at, item.deadline, now, policy)
    due = []
    if status in (Rag.AMBER, Rag.RED) and AlertKind.WARNING not in done:
        due.append(AlertKind.WARNING)
    if status is Rag.RED and AlertKind.BREACH not in done:
        due.append(AlertKind.BREACH)
    return due


def alert_message(
    item: WorkItem, kind: AlertKind, now: datetime, policy: SlaPolicy = ELAPSED
) -> dict[str, Any]:
    """The alert as published: ids and times only, and an ``alert_id`` consumers can dedupe on."""
    return {
        "alert_id": f"{item.decision_id}:{kind.value}",
        "kind": kind.value,
        "decision_id": item.decision_id,
        "route": item.route,
        "state": item.state.value,
        "received_at": iso(item.received_at),
        "warning_at": iso(policy.warning_at(item.received_at, item.deadline)),
        "deadline": iso(item.deadline),
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
