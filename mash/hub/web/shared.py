"""What every route of the board shares, as FastAPI dependencies.

The :class:`Board` is put on ``app.state`` once by :func:`mash.hub.board.create_app`; routes
ask for it (:data:`BoardDep`), for the signed-in member of staff (:data:`StaffDep`, which
redirects to the sign-in page when there is none) and for a checked CSRF token
(:func:`checked_csrf`), and render templates with :func:`render`.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from mash.domain.clocks import Clock
from mash.domain.routes import Route
from mash.hub.actions import NewId
from mash.hub.live import LiveLedger
from mash.hub.model import HubEvent
from mash.hub.sla import SlaPolicy, hub_policy
from mash.hub.users import LoginThrottle, Staff, UserStore
from mash.hub.views import local_time

TEMPLATES = Path(__file__).parent.with_name("templates")
Publish = Callable[[list[HubEvent]], None]

templates = Jinja2Templates(directory=str(TEMPLATES))
templates.env.globals.update(routes=Route.ordered())
templates.env.filters["local"] = local_time


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Board:
    """What the board needs from the outside world (all injectable for tests)."""

    live: LiveLedger
    users: UserStore
    publish: Publish
    clock: Clock
    secret: str
    new_id: NewId = field(default=_new_id)
    policy: SlaPolicy = field(default_factory=hub_policy)
    refresh_seconds: int = 15
    secure_cookie: bool = False
    throttle: LoginThrottle = field(default_factory=LoginThrottle)


class LoginRequired(Exception):
    """Raised by pages that need a signed-in member of staff."""


class Refused(Exception):
    """An action the role may not take, or an item the person may not see."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def board_of(request: Request) -> Board:
    """The app's :class:`Board` (set once by ``create_app``)."""
    board: Board = request.app.state.board
    return board


BoardDep = Annotated[Board, Depends(board_of)]


def signed_in(request: Request, board: BoardDep) -> Staff | None:
    """The member of staff this session belongs to, if any (and if the account still exists)."""
    name = request.session.get("user")
    return board.users.get(name) if name else None


def current_staff(staff: Annotated[Staff | None, Depends(signed_in)]) -> Staff:
    """The signed-in member of staff; anyone else is sent to the sign-in page."""
    if staff is None:
        raise LoginRequired()
    return staff


StaffDep = Annotated[Staff, Depends(current_staff)]


def csrf_token(request: Request) -> str:
    """This session's CSRF token, made on first use."""
    if "csrf" not in request.session:
        request.session["csrf"] = secrets.token_urlsafe(24)
    return str(request.session["csrf"])


def checked_csrf(request: Request, token: Annotated[str, Form(alias="csrf")] = "") -> None:
    """Refuse a form whose token is not this session's (a stale page, or a forged post)."""
    if not secrets.compare_digest(token, csrf_token(request)):
        raise Refused(400, "This form has expired. Go back, reload the page and try again.")


def render(
    request: Request, board: Board, name: str, status: int = 200, **context: Any
) -> HTMLResponse:
    """A template with what every page needs: the CSRF token, a flash message, the refresh."""
    # A fragment (the live refresh) must not swallow a message meant for a whole page.
    flash = None if name.startswith("_") else request.session.pop("flash", None)
    context = {
        "csrf": csrf_token(request),
        "flash": flash,
        "refresh": board.refresh_seconds,
        **context,
    }
    return templates.TemplateResponse(request, name, context, status_code=status)
