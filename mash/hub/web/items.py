"""One work item: its page (the decision explained, its history), and what staff do with it:
claim, confirm or override; transfer or close once decided; approve or refuse (team managers)
what waits for approval.

An item on a queue the person may not see answers 404, so the board does not even confirm it
exists. Every action is planned by :mod:`mash.hub.actions` (the same refusals as the CLI),
published, and only then applied to the live ledger; nothing changes if publishing fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from mash.domain.oversight import CloseReason, Destination
from mash.domain.routes import Route
from mash.errors import MashError, StateError, UsageError
from mash.hub import actions
from mash.hub.actions import NewId
from mash.hub.model import (
    DECIDED_STATES,
    HubEvent,
    ItemState,
    WorkItem,
    validate_close,
    validate_transfer,
)
from mash.hub.queues import Ledger
from mash.hub.users import Permission, Staff
from mash.hub.views import item_view
from mash.hub.web.shared import Board, BoardDep, Refused, StaffDep, checked_csrf, render

router = APIRouter()
DECIDABLE = frozenset({ItemState.ROUTED, ItemState.CLAIMED})
"""States in which a person may confirm or override (a request awaiting approval may not)."""
Plan = Callable[[WorkItem, Staff], list[HubEvent]]
CsrfChecked = Annotated[None, Depends(checked_csrf)]
"""Declared after the staff parameter: a signed-out post goes to the sign-in page first."""


def _authorised(
    board: Board,
    permission: Permission,
    planner: Callable[[WorkItem, str, datetime, NewId], list[HubEvent]],
) -> Plan:
    """A plan for an action that needs nothing but the item and who acts: check the
    permission, then plan the events at the board's clock."""

    def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
        actions.authorise(staff, item, permission)
        return planner(item, staff.username, board.clock.now(), board.new_id)

    return plan


@router.get("/items/{decision_id}", response_class=HTMLResponse)
def item_page(request: Request, board: BoardDep, staff: StaffDep, decision_id: str) -> HTMLResponse:
    return _show(request, board, staff, decision_id)


@router.post("/items/{decision_id}/claim")
def claim(
    request: Request, board: BoardDep, staff: StaffDep, _: CsrfChecked, decision_id: str
) -> Response:
    plan = _authorised(board, Permission.CLAIM, actions.plan_claim)
    return _act(request, board, staff, decision_id, plan, "You have claimed this item.")


@router.post("/items/{decision_id}/confirm")
def confirm(
    request: Request, board: BoardDep, staff: StaffDep, _: CsrfChecked, decision_id: str
) -> Response:
    plan = _authorised(board, Permission.DECIDE, actions.plan_confirm)
    return _act(request, board, staff, decision_id, plan, "Route confirmed.")


@router.post("/items/{decision_id}/override", response_class=HTMLResponse)
def override(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    route: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Override to another route with a reason; a form with errors is shown again with them."""
    item = board.live.read(lambda ledger: _visible_item(ledger, staff, decision_id))
    errors = override_errors(item, route, reason)
    if errors:
        return _show(
            request,
            board,
            staff,
            decision_id,
            status=400,
            errors=errors,
            chosen_route=route,
            reason_text=reason,
        )

    def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
        actions.authorise(staff, item, Permission.DECIDE)
        return actions.plan_override(
            item, route, reason, staff.username, board.clock.now(), board.new_id
        )

    return _act(request, board, staff, decision_id, plan, f"Route changed to {route}.")


@router.post("/items/{decision_id}/transfer", response_class=HTMLResponse)
def transfer(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    destination: Annotated[str, Form()] = "",
    detail: Annotated[str, Form()] = "",
) -> Response:
    """Hand the decided child on to a team; another local authority must be named."""
    item = board.live.read(lambda ledger: _visible_item(ledger, staff, decision_id))
    errors = _usage_errors("destination", lambda: validate_transfer(item, destination, detail))
    if errors:
        return _again(request, board, staff, decision_id, errors, chosen_destination=destination)

    def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
        actions.authorise(staff, item, Permission.DECIDE)
        return actions.plan_transfer(
            item, destination, detail, staff.username, board.clock.now(), board.new_id
        )

    where = validate_transfer(item, destination, detail).label
    return _act(request, board, staff, decision_id, plan, f"Transferred to the {where}.")


@router.post("/items/{decision_id}/close", response_class=HTMLResponse)
def close(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    close_reason: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Close the decided child without a transfer; some closes wait for a team manager."""
    errors = _usage_errors("close_reason", lambda: validate_close(close_reason, reason))
    if errors:
        return _again(
            request, board, staff, decision_id, errors, chosen_close=close_reason, close_text=reason
        )

    def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
        actions.authorise(staff, item, Permission.DECIDE)
        return actions.plan_close(
            item, close_reason, reason, staff.username, board.clock.now(), board.new_id
        )

    return _act(request, board, staff, decision_id, plan, "Close recorded.")


ReasonedPlanner = Callable[[WorkItem, str | None, str, datetime, NewId], list[HubEvent]]


def _reasoned(board: Board, permission: Permission, planner: ReasonedPlanner, reason: str) -> Plan:
    """A plan for an action that takes a reason (approve, refuse, hand back)."""

    def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
        actions.authorise(staff, item, permission)
        return planner(item, reason, staff.username, board.clock.now(), board.new_id)

    return plan


@router.post("/items/{decision_id}/approve", response_class=HTMLResponse)
def approve(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A team manager lets the waiting decision take effect (never the person who asked)."""
    plan = _reasoned(board, Permission.APPROVE, actions.plan_approve, reason)
    return _act(request, board, staff, decision_id, plan, "Approved.")


@router.post("/items/{decision_id}/refuse", response_class=HTMLResponse)
def refuse(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """A team manager sends the waiting decision back to its worker, with a reason."""
    if not reason.strip():
        errors = {"refuse_reason": "Give the reason for the refusal; it goes into the log."}
        return _again(request, board, staff, decision_id, errors)
    plan = _reasoned(board, Permission.APPROVE, actions.plan_refuse, reason)
    return _act(request, board, staff, decision_id, plan, "Refused: back to its worker.")


@router.post("/items/{decision_id}/release", response_class=HTMLResponse)
def release(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    decision_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Hand a claimed item back to its queue with what was done (the EDT in the morning)."""
    if not reason.strip():
        errors = {"release_reason": "Say what was done; it goes into the log with the item."}
        return _again(request, board, staff, decision_id, errors)
    plan = _reasoned(board, Permission.DECIDE, actions.plan_release, reason)
    return _act(request, board, staff, decision_id, plan, "Handed back to the queue.")


def _usage_errors(field: str, check: Callable[[], object]) -> dict[str, str]:
    """The form's field error when ``check`` refuses it (its words are for the person)."""
    try:
        check()
    except UsageError as exc:
        return {field: str(exc).split(" (--")[0].capitalize() + "."}
    return {}


def _again(
    request: Request,
    board: Board,
    staff: Staff,
    decision_id: str,
    errors: dict[str, str],
    **context: Any,
) -> HTMLResponse:
    """The item page again, with the form's errors (400)."""
    return _show(request, board, staff, decision_id, status=400, errors=errors, **context)


def override_errors(item: WorkItem, route: str, reason: str) -> dict[str, str]:
    """Field errors of the override form, in words for the person filling it in."""
    errors: dict[str, str] = {}
    if Route.parse(route) is None:
        errors["route"] = "Choose the route this child should go to."
    elif route == item.route:
        errors["route"] = f"The child is already on {route}: use Confirm instead."
    if not reason.strip():
        errors["reason"] = "Give the reason for the override; it goes into the decision log."
    return errors


def _visible_item(ledger: Ledger, staff: Staff, decision_id: str) -> WorkItem:
    """The item, if this person may see it; 404 alike for a hidden and a missing one."""
    try:
        item = ledger.find(decision_id)
    except UsageError as exc:
        raise Refused(404, "There is no such item.") from exc
    if not staff.sees(item.route) and not staff.sees(item.routed_to):
        raise Refused(404, "There is no such item.")
    return item


def _show(
    request: Request,
    board: Board,
    staff: Staff,
    decision_id: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    now = board.clock.now()

    def build(ledger: Ledger) -> Any:
        _visible_item(ledger, staff, decision_id)
        return item_view(ledger, decision_id, now, board.policy)

    view = board.live.read(build)
    item = view.row.item
    return render(
        request,
        board,
        "item.html",
        status=status,
        user=staff,
        view=view,
        may_claim=item.state is ItemState.ROUTED and staff.may(Permission.CLAIM),
        may_decide=item.state in DECIDABLE and staff.may_decide(item.claimed_by),
        may_hand_off=item.state in DECIDED_STATES and staff.may_decide(item.claimed_by),
        may_release=item.state is ItemState.CLAIMED and staff.may_decide(item.claimed_by),
        may_approve=(
            item.state is ItemState.AWAITING_APPROVAL
            and staff.may(Permission.APPROVE)
            and item.request is not None
            and item.request.requested_by != staff.username
        ),
        destinations=list(Destination),
        close_reasons=list(CloseReason),
        **context,
    )


def _act(
    request: Request, board: Board, staff: Staff, decision_id: str, plan: Plan, done: str
) -> Response:
    """Plan, publish, then apply; the refusals of the plan as pages with their status."""
    item = board.live.read(lambda ledger: _visible_item(ledger, staff, decision_id))
    try:
        events = plan(item, staff)
        board.publish(events)
    except StateError as exc:
        raise Refused(409, str(exc)) from exc
    except UsageError as exc:
        raise Refused(403, str(exc)) from exc
    except MashError as exc:
        raise Refused(
            503,
            "The decision could not be recorded. Nothing was changed; try again in a minute.",
        ) from exc
    board.live.apply_all(events)
    request.session["flash"] = done
    return RedirectResponse(f"/items/{item.decision_id}", status_code=303)
