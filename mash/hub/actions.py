"""Turning a request from a person ("claim this", "override to caf because ...") into events.

Shared by the CLI and the board so both refuse the same things with the same words. Pure: the
caller supplies the time and the event-id source, and publishes what comes back. Each plan is
checked against the state machine before it is returned, so nothing invalid is ever published.
Deciding an item nobody has claimed claims it first, in the same breath: two events, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mash.errors import StateError, UsageError
from mash.hub.model import (
    Action,
    HubEvent,
    ItemState,
    WorkItem,
    apply_event,
    validate_close,
    validate_override,
    validate_transfer,
)
from mash.hub.users import Permission, Staff

NewId = Callable[[], str]


def _check(item: WorkItem, events: list[HubEvent]) -> list[HubEvent]:
    """Run the events through the state machine: StateError if any is not allowed."""
    for event in events:
        item = apply_event(item, event)
    return events


def _event(
    item: WorkItem,
    action: Action,
    actor: str,
    at: datetime,
    new_id: NewId,
    route: str | None = None,
    reason: str | None = None,
    **hand_off: str | None,
) -> HubEvent:
    """An event; a claim carries no route, a decision the route the item ends up on.

    ``hand_off`` holds a transfer's ``destination`` and ``detail`` or a close's
    ``close_reason``.
    """
    return HubEvent(
        event_id=new_id(),
        decision_id=item.decision_id,
        action=action,
        actor=actor,
        at=at,
        route=None if action is Action.CLAIM else route or item.route,
        reason=reason,
        **hand_off,
    )


def authorise(staff: Staff | None, item: WorkItem, permission: Permission) -> None:
    """Refuse an action the person's role does not allow (None: no staff file, trusted CLI)."""
    if staff is None:
        return
    if not staff.sees(item.route) or not staff.may(permission):
        raise UsageError(
            f"{staff.username} ({staff.role}) may not {permission} item {item.decision_id}"
        )
    if permission is Permission.DECIDE and not staff.may_decide(item.claimed_by):
        raise UsageError(
            f"item {item.decision_id} is claimed by {item.claimed_by}: ask them or a team manager"
        )


def plan_claim(item: WorkItem, actor: str, at: datetime, new_id: NewId) -> list[HubEvent]:
    """A claim, or nothing if ``actor`` already holds it."""
    if item.state is ItemState.CLAIMED and item.claimed_by == actor:
        return []
    return _check(item, [_event(item, Action.CLAIM, actor, at, new_id)])


def _claim_first(item: WorkItem, actor: str, at: datetime, new_id: NewId) -> list[HubEvent]:
    return plan_claim(item, actor, at, new_id) if item.state is ItemState.ROUTED else []


def plan_confirm(item: WorkItem, actor: str, at: datetime, new_id: NewId) -> list[HubEvent]:
    """Confirm the router's route (claiming the item first if nobody has)."""
    events = _claim_first(item, actor, at, new_id)
    return _check(item, [*events, _event(item, Action.CONFIRM, actor, at, new_id)])


def plan_override(
    item: WorkItem, route: str, reason: str | None, actor: str, at: datetime, new_id: NewId
) -> list[HubEvent]:
    """Override to ``route`` with a mandatory ``reason`` (UsageError without one)."""
    route, text = validate_override(item, route, reason)
    events = _claim_first(item, actor, at, new_id)
    override = _event(item, Action.OVERRIDE, actor, at, new_id, route=route, reason=text)
    return _check(item, [*events, override])


def plan_transfer(
    item: WorkItem,
    destination: str | None,
    detail: str | None,
    actor: str,
    at: datetime,
    new_id: NewId,
) -> list[HubEvent]:
    """Hand a decided child on to ``destination`` (the route's usual team when None)."""
    chosen = validate_transfer(item, destination, detail)
    event = _event(
        item,
        Action.TRANSFER,
        actor,
        at,
        new_id,
        destination=chosen.value,
        detail=detail.strip() if detail and detail.strip() else None,
    )
    return _check(item, [event])


def plan_close(
    item: WorkItem,
    close_reason: str | None,
    reason: str | None,
    actor: str,
    at: datetime,
    new_id: NewId,
) -> list[HubEvent]:
    """Close a decided child with a reason code and words (some closes wait for a manager)."""
    code, text = validate_close(close_reason, reason)
    event = _event(item, Action.CLOSE, actor, at, new_id, reason=text, close_reason=code.value)
    return _check(item, [event])


def _waiting(item: WorkItem, verb: str) -> None:
    if item.state is not ItemState.AWAITING_APPROVAL or item.request is None:
        raise StateError(f"cannot {verb} item {item.decision_id}: nothing awaits approval")


def plan_approve(
    item: WorkItem, reason: str | None, actor: str, at: datetime, new_id: NewId
) -> list[HubEvent]:
    """A manager approves what waits: the event carries the route (and close reason) that take
    effect, so the decision log records the decision without looking anything up."""
    _waiting(item, "approve")
    assert item.request is not None  # checked by _waiting
    text = reason.strip() if reason and reason.strip() else None
    event = _event(
        item,
        Action.APPROVE,
        actor,
        at,
        new_id,
        route=item.request.route,
        reason=text,
        close_reason=item.request.close_reason,
    )
    return _check(item, [event])


def plan_refuse(
    item: WorkItem, reason: str | None, actor: str, at: datetime, new_id: NewId
) -> list[HubEvent]:
    """A manager refuses what waits, with a reason; the item goes back to its worker."""
    _waiting(item, "refuse")
    if not reason or not reason.strip():
        raise UsageError("a refusal needs a reason (--reason TEXT)")
    return _check(item, [_event(item, Action.REFUSE, actor, at, new_id, reason=reason.strip())])


def plan_release(
    item: WorkItem, reason: str | None, actor: str, at: datetime, new_id: NewId
) -> list[HubEvent]:
    """Hand a claimed item back to its queue, saying what was done (mandatory)."""
    if not reason or not reason.strip():
        raise UsageError("say what was done before handing it back (--reason TEXT)")
    return _check(item, [_event(item, Action.RELEASE, actor, at, new_id, reason=reason.strip())])
