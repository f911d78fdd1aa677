"""Work items and what staff do to them: the hub's state machine, pure and replayable.

A work item is one routed child waiting in a queue. Staff move it along
``routed -> claimed -> confirmed | overridden | transferred``; each step is an event on
``mash.overrides``. Folding the queue topics and that topic from the beginning rebuilds the same
state anywhere (CLI, board, tracker), so nothing here does I/O or knows about Kafka.

Transitions raise :class:`mash.errors.StateError` when asked for something the state forbids:
the CLI and board validate with them *before* publishing, and a replay that meets an event
which lost a race (two people claiming at once) skips it, so the first event on the topic wins.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from mash.domain.decision import iso_utc as iso
from mash.domain.routes import Route
from mash.domain.values import as_datetime
from mash.errors import DecodeError, StateError, UsageError


class ItemState(StrEnum):
    """Where a work item is in the hub's hands."""

    ROUTED = "routed"
    CLAIMED = "claimed"
    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"
    TRANSFERRED = "transferred"


OPEN_STATES: frozenset[ItemState] = frozenset({ItemState.ROUTED, ItemState.CLAIMED})


class Action(StrEnum):
    """What a member of staff did; the ``action`` field of an override event."""

    CLAIM = "CLAIM"
    CONFIRM = "CONFIRM"
    OVERRIDE = "OVERRIDE"
    TRANSFER = "TRANSFER"


def instant(value: Any) -> datetime:
    """An aware UTC datetime from an ISO-8601 string or a datetime (Avro decodes to datetimes).

    ``ValueError`` when it is missing or not a time; callers name the field and the record.
    """
    moment = as_datetime(value)
    if moment is None:
        raise ValueError("is missing")
    return moment


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One routed child in a queue, and what staff have done with it so far.

    ``routed_to`` keeps the router's proposal while ``route`` follows an override, so the board
    can show both. ``payload`` is the message as it came off the queue topic (the decision dict
    or its slim form): the item page shows its reasons and checks from there.
    """

    decision_id: str
    route: str
    routed_to: str
    agency: str
    source_id: str
    child_index: int
    child_key: str
    received_at: datetime
    deadline: datetime
    routed_at: datetime | None = None
    level: int | None = None
    match: str | None = None
    flags: tuple[str, ...] = ()
    first_reason: str = ""
    state: ItemState = ItemState.ROUTED
    claimed_by: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        """Still waiting for a person's decision, so still on the statutory clock."""
        return self.state in OPEN_STATES


def _first_reason(payload: Mapping[str, Any]) -> str:
    """The first fired rule's reason, from the full decision dict or from the slim work item."""
    rules = payload.get("rules") or ()
    if rules and isinstance(rules[0], Mapping) and rules[0].get("reason"):
        return str(rules[0]["reason"])
    for name in ("first_reason", "rule_reason", "first_rule_reason"):
        if payload.get(name):
            return str(payload[name])
    return ""


def work_item_from_dict(payload: Mapping[str, Any]) -> WorkItem:
    """A work item from a queue message (full decision dict or the stream's slim form).

    Raises :class:`DecodeError` naming the field and the decision id (never personal data)
    when the message is not a work item.
    """
    decision_id = str(payload.get("decision_id") or "")
    missing = [n for n in ("decision_id", "route", "deadline", "received_at") if not payload.get(n)]
    if missing:
        raise DecodeError(f"work item {decision_id or '?'} lacks {', '.join(missing)}")
    try:
        return _work_item(decision_id, payload)
    except (TypeError, ValueError) as exc:
        raise DecodeError(f"work item {decision_id} has a malformed field: {exc}") from exc


def _work_item(decision_id: str, payload: Mapping[str, Any]) -> WorkItem:
    route = str(payload["route"])
    level = payload.get("level")
    routed_at = payload.get("decided_at")
    return WorkItem(
        decision_id=decision_id,
        route=route,
        routed_to=route,
        agency=str(payload.get("agency") or ""),
        source_id=str(payload.get("source_id") or ""),
        child_index=int(payload.get("child_index") or 0),
        child_key=str(payload.get("child_key") or ""),
        received_at=instant(payload["received_at"]),
        deadline=instant(payload["deadline"]),
        routed_at=instant(routed_at) if routed_at else None,
        level=int(level) if level is not None else None,
        match=str(payload["match"]) if payload.get("match") else None,
        flags=tuple(str(f) for f in payload.get("flags") or ()),
        first_reason=_first_reason(payload),
        payload=dict(payload),
    )


@dataclass(frozen=True, slots=True)
class HubEvent:
    """One thing a member of staff did, as it travels on ``mash.overrides``.

    ``route`` is the route the item has after the event (the new one for an override; None
    for a claim, as the ``override`` Avro schema says), so the decision log's sink can write
    an override decision without looking anything else up.
    """

    event_id: str
    decision_id: str
    action: Action
    actor: str
    at: datetime
    route: str | None = None
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The event's JSON form (the fields of the Avro ``override`` schema)."""
        return {
            "event_id": self.event_id,
            "decision_id": self.decision_id,
            "action": self.action.value,
            "route": self.route,
            "reason": self.reason,
            "actor": self.actor,
            "at": iso(self.at),
        }


def event_from_dict(payload: Mapping[str, Any]) -> HubEvent:
    """An event from its JSON or Avro-decoded form; :class:`DecodeError` if it is not one.

    Avro readers see ``UNKNOWN`` for an action added after them; it fails here, so it is
    skipped rather than applied (the schema's rule).
    """
    try:
        return HubEvent(
            event_id=str(payload["event_id"]),
            decision_id=str(payload["decision_id"]),
            action=Action(str(payload["action"])),
            actor=str(payload["actor"]),
            at=instant(payload["at"]),
            route=str(payload["route"]) if payload.get("route") else None,
            reason=str(payload["reason"]) if payload.get("reason") else None,
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise DecodeError(f"override event {payload.get('event_id', '?')} is malformed") from exc


def _require_actor(actor: str) -> str:
    if not actor.strip():
        raise UsageError("a member of staff must be named (--as STAFF)")
    return actor.strip()


def _require_open(item: WorkItem, verb: str) -> None:
    if not item.is_open:
        raise StateError(f"cannot {verb} item {item.decision_id}: it is already {item.state}")


def claim(item: WorkItem, actor: str, at: datetime) -> WorkItem:
    """Take an item to work on; claiming your own claim again changes nothing."""
    actor = _require_actor(actor)
    _require_open(item, "claim")
    if item.state is ItemState.CLAIMED:
        if item.claimed_by == actor:
            return item
        raise StateError(f"item {item.decision_id} is already claimed by {item.claimed_by}")
    return dataclasses.replace(item, state=ItemState.CLAIMED, claimed_by=actor)


def _require_claimed(item: WorkItem, verb: str) -> None:
    _require_open(item, verb)
    if item.state is not ItemState.CLAIMED:
        raise StateError(f"cannot {verb} item {item.decision_id}: claim it first")


def confirm(item: WorkItem, actor: str, at: datetime) -> WorkItem:
    """A person agrees with the router's route: the meaningful human decision (Art. 22)."""
    actor = _require_actor(actor)
    _require_claimed(item, "confirm")
    return dataclasses.replace(
        item, state=ItemState.CONFIRMED, decided_by=actor, decided_at=at, reason=None
    )


def known_route(route: str) -> str:
    """``route`` when it names a route, else :class:`UsageError` listing the routes."""
    if Route.parse(route) is None:
        routes = ", ".join(Route.ordered())
        raise UsageError(f"unknown route {route!r}: choose one of {routes}")
    return route


def validate_override(item: WorkItem, route: str, reason: str | None) -> tuple[str, str]:
    """The route and reason of an override, or :class:`UsageError` naming what is wrong.

    Separate from :func:`override` so the CLI and the board can reject a missing reason before
    anything is published.
    """
    known_route(route)
    if route == item.route:
        raise UsageError(f"item {item.decision_id} is already on route {route}: confirm it")
    if not reason or not reason.strip():
        raise UsageError("an override needs a reason (--reason TEXT)")
    return route, reason.strip()


def override(item: WorkItem, route: str, reason: str | None, actor: str, at: datetime) -> WorkItem:
    """A person moves the child to another route, with the reason that goes into the log."""
    actor = _require_actor(actor)
    _require_claimed(item, "override")
    route, text = validate_override(item, route, reason)
    return dataclasses.replace(
        item, state=ItemState.OVERRIDDEN, route=route, decided_by=actor, decided_at=at, reason=text
    )


def transfer(item: WorkItem, actor: str, at: datetime) -> WorkItem:
    """The case leaves the front door for a team outside the hub (the 5-working-day clock)."""
    actor = _require_actor(actor)
    _require_claimed(item, "transfer")
    return dataclasses.replace(item, state=ItemState.TRANSFERRED, decided_by=actor, decided_at=at)


def apply_event(item: WorkItem, event: HubEvent) -> WorkItem:
    """The item after ``event``; :class:`StateError` if the event is not allowed now."""
    if event.action is Action.CLAIM:
        return claim(item, event.actor, event.at)
    if event.action is Action.CONFIRM:
        return confirm(item, event.actor, event.at)
    if event.action is Action.OVERRIDE:
        return override(item, event.route or "", event.reason, event.actor, event.at)
    return transfer(item, event.actor, event.at)


def item_to_state(item: WorkItem) -> dict[str, Any]:
    """A compact JSON form of an item (no payload) for the tracker's table."""
    return {
        "decision_id": item.decision_id,
        "route": item.route,
        "routed_to": item.routed_to,
        "agency": item.agency,
        "source_id": item.source_id,
        "child_index": item.child_index,
        "child_key": item.child_key,
        "received_at": iso(item.received_at),
        "deadline": iso(item.deadline),
        "routed_at": iso(item.routed_at) if item.routed_at else None,
        "level": item.level,
        "match": item.match,
        "flags": list(item.flags),
        "first_reason": item.first_reason,
        "state": item.state.value,
        "claimed_by": item.claimed_by,
        "decided_by": item.decided_by,
        "decided_at": iso(item.decided_at) if item.decided_at else None,
        "reason": item.reason,
    }


def item_from_state(state: Mapping[str, Any]) -> WorkItem:
    """The inverse of :func:`item_to_state`."""
    fields = dict(state)
    for name in ("received_at", "deadline", "routed_at", "decided_at"):
        if fields.get(name):
            fields[name] = instant(fields[name])
    fields["flags"] = tuple(fields.get("flags") or ())
    fields["state"] = ItemState(fields["state"])
    return WorkItem(**fields)
