"""One work item: its page (the decision explained, its history), and claiming, confirming
and overriding it.

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

from mash.domain.routes import Route
from mash.errors import MashError, StateError, UsageError
from mash.hub import actions
from mash.hub.actions import NewId
from mash.hub.model import HubEvent, WorkItem
from mash.hub.queues import Ledger
from mash.hub.users import Permission, Staff
from mash.hub.views import item_view
from mash.hub.web.shared import Board, BoardDep, Refused, StaffDep, checked_csrf, render

router = APIRouter()
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
        may_claim=item.is_open and staff.may(Permission.CLAIM),
        may_decide=item.is_open and staff.may_decide(item.claimed_by),
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
