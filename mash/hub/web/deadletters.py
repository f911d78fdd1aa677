"""The dead-letter queue page: every dead letter not yet dealt with (``?all=1``: every one),
and claiming, replaying and closing them.

Social workers and team managers see and work them; auditors only see them (a dead letter
carries no child's details on the page: where it came from, why it failed, its age and owner).
Each action is planned by :mod:`mash.deadletters.model` (the same refusals as the CLI), sent,
and only then applied to the live queue; nothing changes if sending fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from mash.deadletters import model
from mash.deadletters.live import Outbox
from mash.deadletters.model import DeadLetter, DeadLetterQueue, LetterAction, LetterEvent
from mash.deadletters.settings import overdue_policy
from mash.errors import MashError, StateError, UsageError
from mash.hub.users import Permission, Staff
from mash.hub.web.shared import Board, BoardDep, Refused, StaffDep, checked_csrf, render
from mash.topics import Topics

router = APIRouter()
CsrfChecked = Annotated[None, Depends(checked_csrf)]
Act = Callable[[DeadLetter, Outbox], list[LetterEvent]]


def _topics() -> Topics:
    """The installation's topic names (which topics a replay may go to), as `mash board`
    reads them."""
    from mash.config import setting

    return Topics(setting("MASH_TOPIC_PREFIX", "") or "")


@router.get("/deadletters", response_class=HTMLResponse)
def deadletters(
    request: Request, board: BoardDep, staff: StaffDep, all: bool = False
) -> HTMLResponse:
    return _show(request, board, staff, include_resolved=all)


def _show(
    request: Request,
    board: Board,
    staff: Staff,
    include_resolved: bool = False,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    now = board.clock.now()
    policy = overdue_policy(board.policy.calendar)
    live = board.live.deadletters
    rows, open_count = live.read(
        lambda queue: (
            [model.letter_row(v, now, policy) for v in queue.listed(include_resolved)],
            sum(v.is_open for v in queue.letters.values()),
        )
    )
    return render(
        request,
        board,
        "deadletters.html",
        status=status,
        user=staff,
        rows=rows,
        open_count=open_count,
        include_resolved=include_resolved,
        may_work=staff.may(Permission.CLAIM),
        may_take_over=staff.may(Permission.DECIDE_ANY),
        loading=not live.caught_up.is_set(),
        **context,
    )


def _letter(queue: DeadLetterQueue, ref: str) -> DeadLetter:
    """The dead letter a form names (by its whole id: forms are never typed by hand)."""
    found = queue.letters.get(ref)
    if found is None:
        raise Refused(404, "There is no such dead letter.")
    return found


@router.post("/deadletters/claim")
def claim(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    letter: Annotated[str, Form()] = "",
) -> Response:
    def act(found: DeadLetter, outbox: Outbox) -> list[LetterEvent]:
        model.authorise(staff, found, LetterAction.CLAIM)
        events = model.plan_claim(found, staff.username, board.clock.now(), board.new_id)
        if events:
            outbox.publish(events)
        return events

    return _act(request, board, letter, act, "You have claimed dead letter {id}.")


@router.post("/deadletters/replay")
def replay(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    letter: Annotated[str, Form()] = "",
) -> Response:
    def act(found: DeadLetter, outbox: Outbox) -> list[LetterEvent]:
        model.authorise(staff, found, LetterAction.REPLAY)
        events = model.plan_replay(found, staff.username, board.clock.now(), board.new_id)
        try:
            message = model.replay_message(found, _topics())
        except UsageError as exc:
            raise Refused(409, str(exc)) from exc
        outbox.replay(message)
        outbox.publish(events)
        return events

    return _act(request, board, letter, act, "Dead letter {id} replayed to its topic.")


@router.post("/deadletters/close", response_class=HTMLResponse)
def close(
    request: Request,
    board: BoardDep,
    staff: StaffDep,
    _: CsrfChecked,
    letter: Annotated[str, Form()] = "",
    reason: Annotated[str, Form()] = "",
) -> Response:
    """Close with a reason; without one the page is shown again with the error."""
    if not reason.strip():
        board.live.deadletters.read(lambda queue: _letter(queue, letter))
        return _show(
            request,
            board,
            staff,
            status=400,
            errors={f"reason-{letter}": "Give the reason for closing this dead letter."},
            error_letter=letter,
        )

    def act(found: DeadLetter, outbox: Outbox) -> list[LetterEvent]:
        model.authorise(staff, found, LetterAction.CLOSE)
        events = model.plan_close(found, reason, staff.username, board.clock.now(), board.new_id)
        outbox.publish(events)
        return events

    return _act(request, board, letter, act, "Dead letter {id} closed.")


def _act(request: Request, board: Board, ref: str, act: Act, done: str) -> Response:
    """Plan and send, then apply; refusals as pages with their status."""
    live = board.live.deadletters
    found = live.read(lambda queue: _letter(queue, ref))
    outbox = live.outbox
    if outbox is None:
        raise Refused(503, "The board is not connected to the broker: nothing was changed.")
    try:
        events = act(found, outbox)
    except StateError as exc:
        raise Refused(409, str(exc)) from exc
    except UsageError as exc:
        raise Refused(403, str(exc)) from exc
    except MashError as exc:
        raise Refused(503, "That could not be sent to the broker. Try again in a minute.") from exc
    live.apply_all(events)
    request.session["flash"] = done.format(id=found.id)
    return RedirectResponse("/deadletters", status_code=303)
