"""Work items and what staff do to them: the hub's state machine, pure and replayable.

A work item is one routed child in the front door, from routing to hand-off. Staff move it along
``routed -> claimed -> confirmed | overridden -> transferred | closed``; a decision that lowers
the child's protection waits in ``awaiting-approval`` until a team manager approves it (back to
``claimed`` when refused), see :mod:`mash.domain.oversight`. A newer decision for the same
referral and child (a corrected referral, new rules) ``supersedes`` an item still in the front
door. Each staff step is an event on ``mash.overrides``. Folding the queue topics and that topic
from the beginning rebuilds the same state anywhere (CLI, board, tracker), so nothing here does
I/O or knows about Kafka.

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
from mash.domain.oversight import (
    CloseReason,
    Destination,
    approval_for_close,
    approval_for_route,
)
from mash.domain.routes import Route
from mash.domain.values import as_datetime
from mash.errors import DecodeError, StateError, UsageError


class ItemState(StrEnum):
    """Where a work item is in the hub's hands."""

    ROUTED = "routed"
    CLAIMED = "claimed"
    AWAITING_APPROVAL = "awaiting-approval"
    CONFIRMED = "confirmed"
    OVERRIDDEN = "overridden"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    SUPERSEDED = "superseded"


OPEN_STATES: frozenset[ItemState] = frozenset(
    {ItemState.ROUTED, ItemState.CLAIMED, ItemState.AWAITING_APPROVAL}
)
"""Not yet decided by a person (a request awaiting approval is not a decision): the decision
clock runs."""

DECIDED_STATES: frozenset[ItemState] = frozenset({ItemState.CONFIRMED, ItemState.OVERRIDDEN})
"""Decided, not yet handed on: ready to transfer or close."""

ENDED_STATES: frozenset[ItemState] = frozenset(
    {ItemState.TRANSFERRED, ItemState.CLOSED, ItemState.SUPERSEDED}
)
"""Out of the front door: the five-working-day clock has stopped."""


class Action(StrEnum):
    """What a member of staff did; the ``action`` field of an override event."""

    CLAIM = "CLAIM"
    CONFIRM = "CONFIRM"
    OVERRIDE = "OVERRIDE"
    TRANSFER = "TRANSFER"
    CLOSE = "CLOSE"
    APPROVE = "APPROVE"
    REFUSE = "REFUSE"
    RELEASE = "RELEASE"


REQUESTABLE: frozenset[Action] = frozenset({Action.CONFIRM, Action.OVERRIDE, Action.CLOSE})
"""The actions that may wait for a manager's approval."""


def instant(value: Any) -> datetime:
    """An aware UTC datetime from an ISO-8601 string or a datetime (Avro decodes to datetimes).

    ``ValueError`` when it is missing or not a time; callers name the field and the record.
    """
    moment = as_datetime(value)
    if moment is None:
        raise ValueError("is missing")
    return moment


@dataclass(frozen=True, slots=True)
class Request:
    """A staff decision waiting for a team manager: what was asked, by whom, and why it waits.

    ``action`` is CONFIRM, OVERRIDE or CLOSE; ``route`` the route it would leave the child on;
    ``close_reason`` set for a close. ``why`` is the oversight rule's words.
    """

    event_id: str
    action: Action
    route: str
    requested_by: str
    requested_at: datetime
    why: str
    reason: str | None = None
    close_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "action": self.action.value,
            "route": self.route,
            "requested_by": self.requested_by,
            "requested_at": iso(self.requested_at),
            "why": self.why,
            "reason": self.reason,
            "close_reason": self.close_reason,
        }

    @classmethod
    def from_dict(cls, value: Mapping[str, Any]) -> Request:
        return cls(
            event_id=str(value["event_id"]),
            action=Action(str(value["action"])),
            route=str(value["route"]),
            requested_by=str(value["requested_by"]),
            requested_at=instant(value["requested_at"]),
            why=str(value["why"]),
            reason=value.get("reason"),
            close_reason=value.get("close_reason"),
        )


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One routed child in the front door, and what staff have done with it so far.

    ``routed_to`` keeps the router's proposal while ``route`` follows an override, so the board
    can show both. ``payload`` is the message as it came off the queue topic (the decision dict
    or its slim form): the item page shows its reasons and checks from there. ``supersedes``
    names the earlier decisions of the same referral and child that this item replaced, and
    ``superseded_by`` the newer one that replaced it. ``received_at`` is the first receipt of
    the referral: a correction does not restart the statutory clocks.
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
    request: Request | None = None
    approved_by: str | None = None
    refused: str | None = None
    handed_back: str | None = None
    destination: str | None = None
    detail: str | None = None
    close_reason: str | None = None
    ended_by: str | None = None
    ended_at: datetime | None = None
    supersedes: tuple[str, ...] = ()
    superseded_by: str | None = None
    payload: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_open(self) -> bool:
        """Still waiting for a person's decision, so still on the decision clock."""
        return self.state in OPEN_STATES

    @property
    def in_front_door(self) -> bool:
        """Not yet transferred, closed or superseded: still on the five-working-day clock."""
        return self.state not in ENDED_STATES

    @property
    def case(self) -> tuple[str, str, int]:
        """The referral and child this item is about, whatever the decision: (agency, source
        id, child index). Two decisions with one case are one child's one contact."""
        return (self.agency, self.source_id, self.child_index)


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

    ``route`` is the route the item has after the event (the new one for an override, the one
    that takes effect for an approval; None for a claim), so the decision log's sink can write
    the entry without looking anything else up. ``destination`` and ``detail`` say where a
    transfer goes (``detail`` names the other authority, or the service signposted);
    ``close_reason`` why a child leaves without a transfer (a close, or the approval of one).
    """

    event_id: str
    decision_id: str
    action: Action
    actor: str
    at: datetime
    route: str | None = None
    reason: str | None = None
    destination: str | None = None
    detail: str | None = None
    close_reason: str | None = None

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
            "destination": self.destination,
            "detail": self.detail,
            "close_reason": self.close_reason,
        }


def _optional_text(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    return str(value) if value else None


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
            route=_optional_text(payload, "route"),
            reason=_optional_text(payload, "reason"),
            destination=_optional_text(payload, "destination"),
            detail=_optional_text(payload, "detail"),
            close_reason=_optional_text(payload, "close_reason"),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise DecodeError(f"override event {payload.get('event_id', '?')} is malformed") from exc


# --------------------------------------------------------------------------- transitions


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
    if item.state is ItemState.AWAITING_APPROVAL:
        raise StateError(f"item {item.decision_id} is awaiting a team manager's approval")
    if item.state is ItemState.CLAIMED:
        if item.claimed_by == actor:
            return item
        raise StateError(f"item {item.decision_id} is already claimed by {item.claimed_by}")
    return dataclasses.replace(item, state=ItemState.CLAIMED, claimed_by=actor)


def _require_claimed(item: WorkItem, verb: str) -> None:
    _require_open(item, verb)
    if item.state is ItemState.AWAITING_APPROVAL:
        raise StateError(f"cannot {verb} item {item.decision_id}: it awaits a manager's approval")
    if item.state is not ItemState.CLAIMED:
        raise StateError(f"cannot {verb} item {item.decision_id}: claim it first")


def _awaiting(item: WorkItem, request: Request) -> WorkItem:
    return dataclasses.replace(item, state=ItemState.AWAITING_APPROVAL, request=request)


def _request(
    event_id: str,
    action: Action,
    route: str,
    actor: str,
    at: datetime,
    why: str,
    reason: str | None = None,
    close_reason: str | None = None,
) -> Request:
    return Request(event_id, action, route, actor, at, why, reason, close_reason)


def confirm(item: WorkItem, actor: str, at: datetime, event_id: str = "") -> WorkItem:
    """A person agrees with the router's route: the meaningful human decision (Art. 22).

    A route the rules stepped down from the referrer's request waits for a manager.
    """
    actor = _require_actor(actor)
    _require_claimed(item, "confirm")
    why = approval_for_route(item.routed_to, item.route, item.flags)
    if why is not None:
        return _awaiting(item, _request(event_id, Action.CONFIRM, item.route, actor, at, why))
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


def override(
    item: WorkItem, route: str, reason: str | None, actor: str, at: datetime, event_id: str = ""
) -> WorkItem:
    """A person moves the child to another route, with the reason that goes into the log.

    A move below the router's proposal (or below a stepped-down referrer's request) waits
    for a manager's approval; a move up takes effect at once.
    """
    actor = _require_actor(actor)
    _require_claimed(item, "override")
    route, text = validate_override(item, route, reason)
    why = approval_for_route(item.routed_to, route, item.flags)
    if why is not None:
        return _awaiting(item, _request(event_id, Action.OVERRIDE, route, actor, at, why, text))
    return dataclasses.replace(
        item, state=ItemState.OVERRIDDEN, route=route, decided_by=actor, decided_at=at, reason=text
    )


def _require_decided(item: WorkItem, verb: str) -> None:
    if item.state not in DECIDED_STATES:
        if item.state in ENDED_STATES:
            raise StateError(f"cannot {verb} item {item.decision_id}: it is already {item.state}")
        raise StateError(
            f"cannot {verb} item {item.decision_id}: confirm or override its route first"
        )


def validate_transfer(item: WorkItem, destination: str | None, detail: str | None) -> Destination:
    """Where a transfer goes, or :class:`UsageError`: a destination must take the item's route
    (stepping a child down is an override, with its approval, not a transfer), and another
    local authority must be named."""
    try:
        chosen = Destination(destination or Destination.for_route(item.route))
    except ValueError:
        names = ", ".join(Destination)
        raise UsageError(f"unknown destination {destination!r}: choose one of {names}") from None
    if chosen.route is not None and chosen.route != item.route:
        raise UsageError(
            f"{chosen.value} takes {chosen.route} children; item {item.decision_id} is on "
            f"{item.route} (override the route first)"
        )
    if chosen is Destination.OTHER_LOCAL_AUTHORITY and not (detail and detail.strip()):
        raise UsageError("name the other local authority (--detail NAME)")
    return chosen


def transfer(
    item: WorkItem,
    actor: str,
    at: datetime,
    destination: str | None = None,
    detail: str | None = None,
) -> WorkItem:
    """The child leaves the front door for a named team (this stops the five-day clock)."""
    actor = _require_actor(actor)
    _require_decided(item, "transfer")
    chosen = validate_transfer(item, destination, detail)
    return dataclasses.replace(
        item,
        state=ItemState.TRANSFERRED,
        destination=chosen.value,
        detail=detail.strip() if detail else None,
        ended_by=actor,
        ended_at=at,
    )


def validate_close(reason_code: str | None, reason: str | None) -> tuple[CloseReason, str]:
    """A close's reason code and words, or :class:`UsageError` naming what is missing."""
    try:
        code = CloseReason(reason_code or "")
    except ValueError:
        names = ", ".join(CloseReason)
        raise UsageError(f"a close needs a reason code: one of {names} (--why CODE)") from None
    if not reason or not reason.strip():
        raise UsageError("a close needs the reason in words (--reason TEXT)")
    return code, reason.strip()


def close(
    item: WorkItem,
    reason_code: str | None,
    reason: str | None,
    actor: str,
    at: datetime,
    event_id: str = "",
) -> WorkItem:
    """The child leaves the front door without a transfer; some closes wait for a manager."""
    actor = _require_actor(actor)
    _require_decided(item, "close")
    code, text = validate_close(reason_code, reason)
    why = approval_for_close(item.route, code)
    if why is not None:
        request = _request(event_id, Action.CLOSE, item.route, actor, at, why, text, code.value)
        return _awaiting(item, request)
    return _closed(item, code.value, text, actor, at)


def _closed(item: WorkItem, code: str, text: str | None, actor: str, at: datetime) -> WorkItem:
    return dataclasses.replace(
        item,
        state=ItemState.CLOSED,
        close_reason=code,
        reason=text or item.reason,
        ended_by=actor,
        ended_at=at,
        request=None,
    )


def _require_request(item: WorkItem, verb: str, actor: str) -> Request:
    if item.state is not ItemState.AWAITING_APPROVAL or item.request is None:
        raise StateError(f"cannot {verb} item {item.decision_id}: nothing awaits approval")
    if item.request.requested_by == actor:
        raise StateError(
            f"cannot {verb} item {item.decision_id}: a request is approved or refused by "
            "another person than the one who made it"
        )
    return item.request


def approve(item: WorkItem, actor: str, at: datetime, reason: str | None = None) -> WorkItem:
    """A team manager lets the waiting request take effect (the role is checked before the
    event is published; here, that the approver is not the requester)."""
    actor = _require_actor(actor)
    request = _require_request(item, "approve", actor)
    if request.action is Action.CLOSE:
        approved = _closed(
            item, request.close_reason or "", request.reason, request.requested_by, at
        )
        return dataclasses.replace(approved, approved_by=actor)
    state = ItemState.CONFIRMED if request.action is Action.CONFIRM else ItemState.OVERRIDDEN
    return dataclasses.replace(
        item,
        state=state,
        route=request.route,
        decided_by=request.requested_by,
        decided_at=at,
        reason=request.reason,
        approved_by=actor,
        request=None,
    )


def refuse(item: WorkItem, actor: str, at: datetime, reason: str | None) -> WorkItem:
    """A team manager sends the request back: the item returns to its worker, route unchanged."""
    actor = _require_actor(actor)
    request = _require_request(item, "refuse", actor)
    if not reason or not reason.strip():
        raise UsageError("a refusal needs a reason (--reason TEXT)")
    return dataclasses.replace(
        item,
        state=ItemState.CLAIMED,
        claimed_by=request.requested_by,
        refused=reason.strip(),
        request=None,
    )


def release(item: WorkItem, actor: str, at: datetime, reason: str | None) -> WorkItem:
    """Hand a claimed item back to its queue with what was done: how the emergency duty team
    returns an out-of-hours child to the hub in the morning (the route stays a proposal)."""
    actor = _require_actor(actor)
    _require_claimed(item, "hand back")
    if not reason or not reason.strip():
        raise UsageError("say what was done before handing it back (--reason TEXT)")
    note = f"{actor}: {reason.strip()}"
    return dataclasses.replace(item, state=ItemState.ROUTED, claimed_by=None, handed_back=note)


def apply_event(item: WorkItem, event: HubEvent) -> WorkItem:
    """The item after ``event``; :class:`StateError` if the event is not allowed now."""
    match event.action:
        case Action.CLAIM:
            return claim(item, event.actor, event.at)
        case Action.CONFIRM:
            return confirm(item, event.actor, event.at, event.event_id)
        case Action.OVERRIDE:
            return override(
                item, event.route or "", event.reason, event.actor, event.at, event.event_id
            )
        case Action.TRANSFER:
            return transfer(item, event.actor, event.at, event.destination, event.detail)
        case Action.CLOSE:
            return close(
                item, event.close_reason, event.reason, event.actor, event.at, event.event_id
            )
        case Action.APPROVE:
            return approve(item, event.actor, event.at, event.reason)
        case Action.REFUSE:
            return refuse(item, event.actor, event.at, event.reason)
        case Action.RELEASE:
            return release(item, event.actor, event.at, event.reason)
    raise StateError(f"unknown action {event.action}")


def supersede(older: WorkItem, newer: WorkItem) -> tuple[WorkItem, WorkItem]:
    """A newer decision about the same referral and child replaces an item in the front door.

    The older item ends as superseded (its decision stays in the log); the newer one keeps the
    older's first receipt and the earlier of the two deadlines (a correction never buys time),
    names what it replaced, and, when nobody has acted on it yet, the older one's claim, so
    the worker who had it still has it. The older item's decision or a request awaiting
    approval is not carried over: it was about facts that have changed, so a person decides
    again on the newer one.
    """
    ended = dataclasses.replace(older, state=ItemState.SUPERSEDED, superseded_by=newer.decision_id)
    replacing = dataclasses.replace(
        newer,
        received_at=min(older.received_at, newer.received_at),
        deadline=min(older.deadline, newer.deadline),
        supersedes=(*older.supersedes, older.decision_id),
    )
    claimed = older.claimed_by if older.state is not ItemState.ROUTED else None
    if newer.state is ItemState.ROUTED and claimed:
        # The newer one has no history of its own yet (the usual order): the worker keeps it.
        replacing = dataclasses.replace(replacing, state=ItemState.CLAIMED, claimed_by=claimed)
    return ended, replacing


def newness(item: WorkItem) -> tuple[datetime, str]:
    """Which of two decisions about one case is the newer: routed later, ties broken by the
    decision id, so every reader, whatever order it read the topics in, picks the same one."""
    return (item.routed_at or item.received_at, item.decision_id)


@dataclass(frozen=True, slots=True)
class Placement:
    """What a decision read for a case does to the case's items.

    ``items``: the items to store (the one read, and the case's current item if it changed).
    ``current``: True when the item read is now the case's current item; ``superseding``: True
    when it took over an item still in the front door (whose clocks and alerts it inherits).
    """

    items: tuple[WorkItem, ...]
    current: bool
    superseding: bool = False


def place(current: WorkItem | None, item: WorkItem) -> Placement:
    """Where ``item`` goes among its case's items, given the case's ``current`` one.

    - no current item (or the same decision): the item is the case's current one;
    - ``item`` is the older decision, read late: it ends superseded at once, and the current
      item, if still in the front door, keeps the earlier receipt and deadline;
    - the current item has left the front door (transferred or closed): a new item;
    - otherwise the newer ``item`` supersedes the current one (:func:`supersede`).
    """
    if current is None or current.decision_id == item.decision_id:
        return Placement((item,), current=True)
    if newness(item) < newness(current):
        ended = dataclasses.replace(
            item, state=ItemState.SUPERSEDED, superseded_by=current.decision_id
        )
        if not current.in_front_door:
            return Placement((ended,), current=False)
        adjusted = dataclasses.replace(
            current,
            received_at=min(item.received_at, current.received_at),
            deadline=min(item.deadline, current.deadline),
            supersedes=(*current.supersedes, item.decision_id),
        )
        return Placement((ended, adjusted), current=False)
    if not current.in_front_door:
        return Placement((item,), current=True)
    ended, replacing = supersede(current, item)
    return Placement((ended, replacing), current=True, superseding=True)


_TIMES = ("received_at", "deadline", "routed_at", "decided_at", "ended_at")


def item_to_state(item: WorkItem) -> dict[str, Any]:
    """A compact JSON form of an item (no payload) for the tracker's table."""
    state: dict[str, Any] = {
        f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name != "payload"
    }
    for name in _TIMES:
        state[name] = iso(state[name]) if state[name] else None
    state["flags"] = list(item.flags)
    state["supersedes"] = list(item.supersedes)
    state["state"] = item.state.value
    state["request"] = item.request.to_dict() if item.request else None
    return state


def item_from_state(state: Mapping[str, Any]) -> WorkItem:
    """The inverse of :func:`item_to_state` (rows written before a field existed lack it)."""
    fields = dict(state)
    for name in _TIMES:
        if fields.get(name):
            fields[name] = instant(fields[name])
    fields["flags"] = tuple(fields.get("flags") or ())
    fields["supersedes"] = tuple(fields.get("supersedes") or ())
    fields["state"] = ItemState(fields["state"])
    fields["request"] = Request.from_dict(fields["request"]) if fields.get("request") else None
    return WorkItem(**fields)
