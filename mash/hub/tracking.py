"""What the SLA tracker remembers per work item, and how each message changes it (pure).

The Faust adapter (:mod:`mash.hub.tracker`) keeps one :class:`Tracked` per decision id in a
table whose changelog survives restarts. Keeping the alerts already sent *in that record* is
what makes "once each" hold across a restart: a restarted tracker reads them back before it
looks at the clock again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mash.errors import StateError, UsageError
from mash.hub.model import (
    OPEN_STATES,
    HubEvent,
    ItemState,
    WorkItem,
    apply_event,
    event_from_dict,
    item_from_state,
    item_to_state,
)
from mash.hub.sla import ELAPSED, AlertKind, SlaPolicy, alerts_due


@dataclass(frozen=True, slots=True)
class Tracked:
    """One item as the tracker knows it.

    ``item`` is None while only staff events have arrived (topics are read in no fixed order);
    those wait in ``pending`` until the routed item turns up. ``events`` holds the ids already
    applied, so a redelivered event changes nothing.
    """

    item: WorkItem | None = None
    sent: frozenset[str] = frozenset()
    pending: tuple[HubEvent, ...] = ()
    events: frozenset[str] = frozenset()


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


def due(tracked: Tracked, now: datetime, policy: SlaPolicy = ELAPSED) -> list[AlertKind]:
    """Alerts this item needs now that it has not had."""
    if tracked.item is None:
        return []
    return alerts_due(tracked.item, tracked.sent, now, policy)


def mark_sent(tracked: Tracked, kinds: Iterable[AlertKind]) -> Tracked:
    """Remember alerts as sent so they are never sent again."""
    return dataclasses.replace(tracked, sent=tracked.sent | {k.value for k in kinds})


def may_need_alert(value: Mapping[str, Any] | None) -> bool:
    """A cheap look at a stored row: False when it is decided or already had both alerts."""
    if not value or not value.get("item"):
        return False
    if len(value.get("sent") or ()) >= len(AlertKind):
        return False
    return ItemState(value["item"]["state"]) in OPEN_STATES


def to_json(tracked: Tracked) -> dict[str, Any]:
    """The table's stored form (JSON, so the changelog is readable with ``mash tail``)."""
    return {
        "item": item_to_state(tracked.item) if tracked.item else None,
        "sent": sorted(tracked.sent),
        "pending": [e.to_dict() for e in tracked.pending],
        "events": sorted(tracked.events),
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
    )
