"""Signing in and out: a throttled password check, a fresh session, no open redirect."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from mash.hub.views import local_time
from mash.hub.web.shared import BoardDep, checked_csrf, render

router = APIRouter()
log = logging.getLogger("mash.board")


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, board: BoardDep, next: str = "/queues") -> HTMLResponse:
    return render(request, board, "login.html", next=safe_next(next), error=None, user=None)


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(checked_csrf)])
def login(
    request: Request,
    board: BoardDep,
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/queues",
) -> Response:
    """Sign in; five failures in a row lock the account for a while (:class:`LoginThrottle`)."""
    name, now = username.strip(), board.clock.now()
    locked = board.throttle.locked_until(name, now)
    staff = None if locked else board.users.authenticate(name, password)
    if staff is None:
        locked = locked or board.throttle.failed(name, now)
        if locked is not None:
            # No name: a username field sometimes holds a mistyped password.
            log.warning("sign-in refused: an account is locked after failed attempts")
        error = (
            f"Too many failed sign-ins: this account is locked until {local_time(locked)}."
            if locked
            else "The username or password is not right."
        )
        return render(
            request,
            board,
            "login.html",
            status=429 if locked else 401,
            next=safe_next(next),
            user=None,
            error=error,
            username=username,
        )
    board.throttle.succeeded(name)
    request.session.clear()
    request.session["user"] = staff.username
    return RedirectResponse(safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(checked_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def safe_next(target: str) -> str:
    """Only same-site paths after login: no open redirect to another host."""
    return target if target.startswith("/") and not target.startswith("//") else "/queues"
