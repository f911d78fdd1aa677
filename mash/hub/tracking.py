"""What the SLA tracker remembers per work item, and how each message changes it (pure).

The Faust adapter (:mod:`mash.hub.tracker`) keeps one :class:`Tracked` per decision id in a
table whose changelog survives restarts. Keeping the alerts already sent *in that record* is
what makes "once each" hold across a restart: a restarted tracker reads them back before it
looks at the clock again.

Supersession: a newer decision about the same referral and child (:attr:`WorkItem.case`)
replaces the item still in the front door (:func:`mash.hub.model.supersede`). The adapter keeps
an index from :func:`case_key` to the newest decision id of the case and hands
:func:`route_in_case` the row it names; the older row ends superseded (no more alerts) and the
newer one inherits its clocks and the alerts it already had, so nothing is said twice. An older
decision arriving after the newer one ends superseded at once; an item that already left the
front door (transferred or closed) is never superseded: the newer decision opens a new item.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mash.domain.routes import Route
from mash.errors import StateError, UsageError
from mash.hub.model import (
    ENDED_STATES,
    OPEN_STATES,
    HubEvent,
    ItemState,
    WorkItem,
    apply_event,
    event_from_dict,
    instant,
    iso,
    item_from_state,
    item_to_state,
    place,
)
from mash.hub.sla import (
    DECISION_KINDS,
    EDT_KINDS,
    ELAPSED,
    FRONT_DOOR_KINDS,
    AlertKind,
    SlaPolicy,
    clock_alerts_due,
)


@dataclass(frozen=True, slots=True)
class Tracked:
    """One item as the tracker knows it.

    ``item`` is None while only staff events have arrived (topics are read in no fixed order);
    those wait in ``pending`` until the routed item turns up. ``events`` holds the ids already
    applied, so a redelivered event changes nothing. ``edt_dispatched_at`` is when the tracker
    dispatched the child to the emergency duty team (None if it never did).
    """

    item: WorkItem | None = None
    sent: frozenset[str] = frozenset()
    pending: tuple[HubEvent, ...] = ()
    events: frozenset[str] = frozenset()
    edt_dispatched_at: datetime | None = None


def _apply(tracked: Tracked, item: WorkItem, event: HubEvent) -> Tracked:
    try:
        changed = apply_event(item, event)
    except (StateError, UsageError):
        return tracked  # lost a race or invalid: the first event on the topic wins
    return dataclasses.replace(tracked, item=changed)


def on_routed(tracked: Tracked | None, item: WorkItem) -> Tracked:
    """A work item read from a queue topic; a redelivered one keeps the state it has."""
    current = tracked or Tracked()
    if current.item is not None:
        return current
    result = dataclasses.replace(current, item=item, pending=())
    for event in current.pending:
        result = _apply(result, result.item or item, event)
    return result


def on_event(tracked: Tracked | None, event: HubEvent) -> Tracked:
    """A staff event read from ``mash.overrides``."""
    current = tracked or Tracked()
    if event.event_id in current.events:
        return current
    seen = dataclasses.replace(current, events=current.events | {event.event_id})
    if seen.item is None:
        return dataclasses.replace(seen, pending=(*seen.pending, event))
    return _apply(seen, seen.item, event)


def case_key(item: WorkItem) -> str:
    """The case index's key: agency, source id and child index, in a form that cannot collide
    (a JSON list, so a ``|`` in a source id is not a separator)."""
    return json.dumps(list(item.case), separators=(",", ":"))


def route_in_case(
    tracked: Tracked | None, item: WorkItem, current: Tracked | None
) -> tuple[dict[str, Tracked], str | None]:
    """A work item read from a queue topic, with ``current``: the row the case index names.

    Returns the rows to write (by decision id) and the decision id the case index should name
    from now on (None: leave it). A redelivered item changes nothing. Where the item goes is
    the model's rule (:func:`mash.hub.model.place`); a row that supersedes another inherits
    the alerts it already had, so nothing is said twice.
    """
    if tracked is not None and tracked.item is not None:
        return {}, None
    placement = place(current.item if current is not None else None, item)
    rows: dict[str, Tracked] = {}
    for placed in placement.items:
        if placed.decision_id != item.decision_id:
            assert current is not None  # only the case's current row is ever rewritten
            rows[placed.decision_id] = dataclasses.replace(current, item=placed)
            continue
        row = on_routed(tracked, placed)
        if placement.superseding and current is not None:
            row = dataclasses.replace(
                row,
                sent=row.sent | current.sent,
                edt_dispatched_at=row.edt_dispatched_at or current.edt_dispatched_at,
            )
        rows[placed.decision_id] = row
    return rows, item.decision_id if placement.current else None


def due(tracked: Tracked, now: datetime, policy: SlaPolicy = ELAPSED) -> list[AlertKind]:
    """Alerts this item needs now that it has not had (every clock)."""
    if tracked.item is None:
        return []
    return clock_alerts_due(tracked.item, tracked.sent, now, policy)


def mark_sent(tracked: Tracked, kinds: Iterable[AlertKind], at: datetime | None = None) -> Tracked:
    """Remember alerts as sent so they are never sent again (and when the child went to the
    emergency duty team, if one of them is the dispatch)."""
    chosen = set(kinds)
    dispatched = tracked.edt_dispatched_at
    if AlertKind.EDT_DISPATCH in chosen and dispatched is None:
        dispatched = at
    return dataclasses.replace(
        tracked, sent=tracked.sent | {k.value for k in chosen}, edt_dispatched_at=dispatched
    )


def may_need_alert(value: Mapping[str, Any] | None) -> bool:
    """A cheap look at a stored row: False when it is out of the front door, or has had every
    alert its state can still get (a decided item can still get the front-door alerts)."""
    if not value or not value.get("item"):
        return False
    stored = value["item"]
    state = ItemState(stored["state"])
    if state in ENDED_STATES:
        return False
    needed = set(FRONT_DOOR_KINDS)
    if state in OPEN_STATES:
        needed |= DECISION_KINDS
        if state is ItemState.ROUTED and stored.get("routed_to") == Route.S47.value:
            needed |= EDT_KINDS
    return not {k.value for k in needed} <= set(value.get("sent") or ())


def to_json(tracked: Tracked) -> dict[str, Any]:
    """The table's stored form (JSON, so the changelog is readable with ``mash tail``)."""
    return {
        "item": item_to_state(tracked.item) if tracked.item else None,
        "sent": sorted(tracked.sent),
        "pending": [e.to_dict() for e in tracked.pending],
        "events": sorted(tracked.events),
        "edt_dispatched_at": iso(tracked.edt_dispatched_at) if tracked.edt_dispatched_at else None,
    }


def from_json(value: Mapping[str, Any] | None) -> Tracked | None:
    """The inverse of :func:`to_json`; None for a key the table has never seen."""
    if not value:
        return None
    return Tracked(
        item=item_from_state(value["item"]) if value.get("item") else None,
        sent=frozenset(value.get("sent") or ()),
        pending=tuple(event_from_dict(e) for e in value.get("pending") or ()),
        events=frozenset(value.get("events") or ()),
        edt_dispatched_at=(
            instant(value["edt_dispatched_at"]) if value.get("edt_dispatched_at") else None
        ),
    )
