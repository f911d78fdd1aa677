"""The hub staff board: server-rendered pages over the live ledger (FastAPI adapter).

Pages work without JavaScript (forms post and redirect); a few lines of script refresh the
queue tables in place, with a button to pause that (WCAG 2.2.2). Sessions are signed cookies
(SameSite=Strict) and every form carries a per-session CSRF token. Items on queues a person may
not see answer 404, so the board does not even confirm they exist.

This module assembles the app: the session and security-header middleware, the two error
pages, and the routers of :mod:`mash.hub.web`, which get the :class:`Board` through FastAPI
dependencies.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from mash.hub.web import deadletters, items, operations, queues, signin
from mash.hub.web.shared import Board, LoginRequired, Refused, board_of, render, signed_in

__all__ = ["Board", "create_app"]

SESSION_SECONDS = 8 * 60 * 60
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(board: Board) -> FastAPI:
    """The board as an ASGI app."""
    app = FastAPI(title="MASH hub board", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.board = board
    app.add_middleware(
        SessionMiddleware,
        secret_key=board.secret,
        session_cookie="mash_board",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=board.secure_cookie,
    )
    app.middleware("http")(_security_headers)
    app.exception_handler(LoginRequired)(_to_login)
    app.exception_handler(Refused)(_refused)
    for router in (
        signin.router,
        queues.router,
        items.router,
        deadletters.router,
        operations.router,
    ):
        app.include_router(router)
    return app


async def _security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


async def _to_login(request: Request, exc: LoginRequired) -> Response:
    """A page that needs a member of staff: sign in first, then come back to it."""
    return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)


async def _refused(request: Request, exc: Refused) -> Response:
    """A refusal as a page in words, with its status (400, 403, 404, 409 or 503)."""
    board = board_of(request)
    user = signed_in(request, board)
    return render(request, board, "error.html", status=exc.status, message=exc.message, user=user)
