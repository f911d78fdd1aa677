"""Turning a request from a person ("claim this", "override to caf because ...") into events.

Shared by the CLI and the board so both refuse the same things with the same words. Pure: the
caller supplies the time and the event-id source, and publishes what comes back. Each plan is
checked against the state machine before it is returned, so nothing invalid is ever published.
Deciding an item nobody has claimed claims it first, in the same breath: two events, in order.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mash.errors import UsageError
from mash.hub.model import (
    Action,
    HubEvent,
    ItemState,
    WorkItem,
    apply_event,
    validate_override,
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
) -> HubEvent:
    """An event; a claim carries no route, a decision the route the item ends up on."""
    return HubEvent(
        event_id=new_id(),
        decision_id=item.decision_id,
        action=action,
        actor=actor,
        at=at,
        route=None if action is Action.CLAIM else route or item.route,
        reason=reason,
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
