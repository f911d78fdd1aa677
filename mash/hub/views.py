"""What the board and ``mash queue list`` show, as plain values (pure).

Times are shown in the hub's local time (Europe/London) because that is what staff read off a
wall clock; the JSON form keeps ISO-8601 UTC. Queues are shown most intensive first, each under
its route's ``label`` (:class:`mash.domain.routes.Route`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mash.domain.routes import Route
from mash.hub.model import HubEvent, WorkItem, iso
from mash.hub.queues import Ledger
from mash.hub.sla import ELAPSED, QueueSla, Rag, SlaPolicy, format_age, item_rag, sla_report
from mash.hub.users import Staff

LOCAL = ZoneInfo("Europe/London")


def local_time(moment: datetime) -> str:
    """``Mon 07 Dec 14:05`` in UK local time."""
    return moment.astimezone(LOCAL).strftime("%a %d %b %H:%M")


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One line of a queue, ready to print or render."""

    decision_id: str
    short_id: str
    route: str
    age: str
    age_seconds: int
    deadline: str
    rag: Rag
    state: str
    claimed_by: str | None
    flags: tuple[str, ...]
    reason: str
    item: WorkItem
    edt: bool = False
    """Dispatched to the emergency duty team on arrival (an out-of-hours s47 child)."""

    def to_json(self) -> dict[str, Any]:
        """The ``--json`` form: ids, times in UTC and the first reason; no personal data."""
        return {
            "decision_id": self.decision_id,
            "route": self.route,
            "agency": self.item.agency,
            "source_id": self.item.source_id,
            "child_index": self.item.child_index,
            "state": self.state,
            "claimed_by": self.claimed_by,
            "received_at": iso(self.item.received_at),
            "deadline": iso(self.item.deadline),
            "age_seconds": self.age_seconds,
            "rag": self.rag.value,
            "edt": self.edt,
            "flags": list(self.flags),
            "reason": self.reason,
        }


def item_row(item: WorkItem, now: datetime, policy: SlaPolicy = ELAPSED) -> ItemRow:
    age = now - item.received_at
    return ItemRow(
        decision_id=item.decision_id,
        short_id=item.decision_id[:8],
        route=item.route,
        age=format_age(age),
        age_seconds=int(age.total_seconds()),
        deadline=local_time(item.deadline),
        rag=item_rag(item, now, policy),
        state=item.state.value,
        claimed_by=item.claimed_by,
        flags=item.flags,
        reason=item.first_reason,
        item=item,
        edt=policy.dispatched_to_edt(item),
    )


@dataclass(frozen=True, slots=True)
class QueueView:
    """A queue's open items and, below them, its decided children still to hand off."""

    route: str
    title: str
    rows: tuple[ItemRow, ...]
    to_hand_off: tuple[ItemRow, ...] = ()


def queue_views(
    ledger: Ledger, staff: Staff, now: datetime, policy: SlaPolicy = ELAPSED
) -> list[QueueView]:
    """The open items of every queue this person may see, most urgent first."""
    return [
        QueueView(
            r,
            r.label,
            tuple(item_row(i, now, policy) for i in ledger.open_items(r)),
            tuple(item_row(i, now, policy) for i in ledger.to_hand_off(r)),
        )
        for r in Route.ordered()
        if staff.sees(r)
    ]


def visible_sla(
    ledger: Ledger, staff: Staff, now: datetime, policy: SlaPolicy = ELAPSED
) -> list[QueueSla]:
    """The SLA report over the queues this person may see."""
    routes = [r for r in Route.ordered() if staff.sees(r)]
    return sla_report(ledger.items.values(), now, routes, policy)


@dataclass(frozen=True)
class ItemView:
    """Everything the item page shows: the row, the decision's explanation and its history."""

    row: ItemRow
    rules: tuple[Mapping[str, Any], ...]
    checks: tuple[tuple[str, str], ...]
    match: str | None
    match_score: float | None
    level: int | None
    history: tuple[HubEvent, ...]
    received: str
    decided: str | None


def item_view(
    ledger: Ledger, decision_id: str, now: datetime, policy: SlaPolicy = ELAPSED
) -> ItemView:
    """The item page's content; :class:`UsageError` if there is no such item."""
    item = ledger.find(decision_id)
    details = ledger.details(item.decision_id)
    checks = details.get("checks") or {}
    score = details.get("match_score")
    return ItemView(
        row=item_row(item, now, policy),
        rules=tuple(r for r in details.get("rules") or () if isinstance(r, Mapping)),
        checks=tuple(sorted((str(k), str(v)) for k, v in checks.items())),
        match=item.match or details.get("match"),
        match_score=float(score) if score is not None else None,
        level=item.level,
        history=tuple(ledger.history.get(item.decision_id, ())),
        received=local_time(item.received_at),
        decided=local_time(item.decided_at) if item.decided_at else None,
    )
