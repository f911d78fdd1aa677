"""The hub staff board: server-rendered pages over the live ledger (FastAPI adapter).

Pages work without JavaScript (forms post and redirect); a few lines of script refresh the
queue tables in place, with a button to pause that (WCAG 2.2.2). Sessions are signed cookies
(SameSite=Strict) and every form carries a per-session CSRF token. Items on queues a person may
not see answer 404, so the board does not even confirm they exist.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from mash.domain.clocks import Clock
from mash.errors import MashError, StateError, UsageError
from mash.hub import actions, metrics
from mash.hub.actions import NewId
from mash.hub.live import LiveLedger
from mash.hub.model import HubEvent, WorkItem
from mash.hub.queues import Ledger
from mash.hub.sla import SlaPolicy, hub_policy
from mash.hub.users import LoginThrottle, Permission, Staff, UserStore
from mash.hub.views import ROUTE_NAMES, item_view, local_time, queue_views, visible_sla
from mash.topics import ROUTES

TEMPLATES = Path(__file__).with_name("templates")
SESSION_SECONDS = 8 * 60 * 60
Publish = Callable[[list[HubEvent]], None]


log = logging.getLogger("mash.board")


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


SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def create_app(board: Board) -> FastAPI:
    """The board as an ASGI app."""
    app = FastAPI(title="MASH hub board", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(
        SessionMiddleware,
        secret_key=board.secret,
        session_cookie="mash_board",
        max_age=SESSION_SECONDS,
        same_site="strict",
        https_only=board.secure_cookie,
    )
    templates = Jinja2Templates(directory=str(TEMPLATES))
    templates.env.globals.update(route_names=ROUTE_NAMES, routes=ROUTES)
    templates.env.filters["local"] = local_time

    @app.middleware("http")
    async def headers(request: Request, call_next: Callable[[Request], Any]) -> Response:
        response: Response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    def csrf(request: Request) -> str:
        if "csrf" not in request.session:
            request.session["csrf"] = secrets.token_urlsafe(24)
        return str(request.session["csrf"])

    def check_csrf(request: Request, token: str) -> None:
        if not secrets.compare_digest(token, csrf(request)):
            raise Refused(400, "This form has expired. Go back, reload the page and try again.")

    def staff_of(request: Request) -> Staff:
        name = request.session.get("user")
        staff = board.users.get(name) if name else None
        if staff is None:
            raise LoginRequired()
        return staff

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        # A fragment (the live refresh) must not swallow a message meant for a whole page.
        flash = None if name.startswith("_") else request.session.pop("flash", None)
        context = {
            "csrf": csrf(request),
            "flash": flash,
            "refresh": board.refresh_seconds,
            **context,
        }
        return templates.TemplateResponse(request, name, context, status_code=status)

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, exc: LoginRequired) -> Response:
        target = quote(request.url.path)
        return RedirectResponse(f"/login?next={target}", status_code=303)

    @app.exception_handler(Refused)
    async def refused(request: Request, exc: Refused) -> Response:
        name = request.session.get("user")
        staff = board.users.get(name) if name else None
        return page(request, "error.html", status=exc.status, message=exc.message, user=staff)

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/queues") -> HTMLResponse:
        return page(request, "login.html", next=_safe_next(next), error=None, user=None)

    @app.post("/login", response_class=HTMLResponse)
    def login(
        request: Request,
        username: str = Form(""),
        password: str = Form(""),
        csrf_token: str = Form("", alias="csrf"),
        next: str = Form("/queues"),
    ) -> Response:
        check_csrf(request, csrf_token)
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
            return page(
                request,
                "login.html",
                status=429 if locked else 401,
                next=_safe_next(next),
                user=None,
                error=error,
                username=username,
            )
        board.throttle.succeeded(name)
        request.session.clear()
        request.session["user"] = staff.username
        return RedirectResponse(_safe_next(next), status_code=303)

    @app.post("/logout")
    def logout(request: Request, csrf_token: str = Form("", alias="csrf")) -> Response:
        check_csrf(request, csrf_token)
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", include_in_schema=False)
    def home() -> Response:
        return RedirectResponse("/queues", status_code=303)

    @app.get("/queues", response_class=HTMLResponse)
    def queues(request: Request, fragment: bool = False) -> HTMLResponse:
        staff = staff_of(request)
        now = board.clock.now()
        views, sla = board.live.read(
            lambda ledger: (
                queue_views(ledger, staff, now, board.policy),
                visible_sla(ledger, staff, now, board.policy) if staff.may(Permission.SLA) else [],
            )
        )
        context: dict[str, Any] = {
            "user": staff,
            "queues": views,
            "sla": sla,
            "now": now,
            "loading": not board.live.caught_up.is_set(),
        }
        return page(request, "_queues.html" if fragment else "queues.html", **context)

    def visible_item(ledger: Ledger, staff: Staff, decision_id: str) -> WorkItem:
        try:
            item = ledger.find(decision_id)
        except UsageError as exc:
            raise Refused(404, "There is no such item.") from exc
        if not staff.sees(item.route) and not staff.sees(item.routed_to):
            raise Refused(404, "There is no such item.")
        return item

    def show_item(
        request: Request, staff: Staff, decision_id: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        now = board.clock.now()

        def build(ledger: Ledger) -> Any:
            visible_item(ledger, staff, decision_id)
            return item_view(ledger, decision_id, now, board.policy)

        view = board.live.read(build)
        item = view.row.item
        return page(
            request,
            "item.html",
            status=status,
            user=staff,
            view=view,
            may_claim=item.is_open and staff.may(Permission.CLAIM),
            may_decide=item.is_open and staff.may_decide(item.claimed_by),
            **context,
        )

    @app.get("/items/{decision_id}", response_class=HTMLResponse)
    def item_page(request: Request, decision_id: str) -> HTMLResponse:
        return show_item(request, staff_of(request), decision_id)

    def act(
        request: Request,
        decision_id: str,
        token: str,
        plan: Callable[[WorkItem, Staff], list[HubEvent]],
        done: str,
    ) -> Response:
        staff = staff_of(request)
        check_csrf(request, token)
        item = board.live.read(lambda ledger: visible_item(ledger, staff, decision_id))
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

    @app.post("/items/{decision_id}/claim")
    def claim(
        request: Request, decision_id: str, csrf_token: str = Form("", alias="csrf")
    ) -> Response:
        def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
            actions.authorise(staff, item, Permission.CLAIM)
            return actions.plan_claim(item, staff.username, board.clock.now(), board.new_id)

        return act(request, decision_id, csrf_token, plan, "You have claimed this item.")

    @app.post("/items/{decision_id}/confirm")
    def confirm(
        request: Request, decision_id: str, csrf_token: str = Form("", alias="csrf")
    ) -> Response:
        def plan(item: WorkItem, staff: Staff) -> list[HubEvent]:
            actions.authorise(staff, item, Permission.DECIDE)
            return actions.plan_confirm(item, staff.username, board.clock.now(), board.new_id)

        return act(request, decision_id, csrf_token, plan, "Route confirmed.")

    @app.post("/items/{decision_id}/override", response_class=HTMLResponse)
    def override(
        request: Request,
        decision_id: str,
        route: str = Form(""),
        reason: str = Form(""),
        csrf_token: str = Form("", alias="csrf"),
    ) -> Response:
        staff = staff_of(request)
        check_csrf(request, csrf_token)
        item = board.live.read(lambda ledger: visible_item(ledger, staff, decision_id))
        errors = _override_errors(item, route, reason)
        if errors:
            return show_item(
                request,
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

        return act(request, decision_id, csrf_token, plan, f"Route changed to {route}.")

    @app.get("/metrics")
    def prometheus() -> Response:
        body = metrics.exposition(board.live, board.clock.now, board.policy)
        return Response(body, media_type=metrics.CONTENT_TYPE)

    @app.get("/healthz")
    def health() -> JSONResponse:
        return JSONResponse({"ok": True, "caught_up": board.live.caught_up.is_set()})

    @app.get("/static/{name}")
    def static(name: str) -> Response:
        kinds = {"board.css": "text/css", "board.js": "text/javascript"}
        if name not in kinds:
            return PlainTextResponse("not found", status_code=404)
        return Response(
            (TEMPLATES / name).read_text(),
            media_type=kinds[name],
            headers={"Cache-Control": "max-age=3600"},
        )

    return app


def _safe_next(target: str) -> str:
    """Only same-site paths after login: no open redirect to another host."""
    return target if target.startswith("/") and not target.startswith("//") else "/queues"


def _override_errors(item: WorkItem, route: str, reason: str) -> dict[str, str]:
    """Field errors of the override form, in words for the person filling it in."""
    errors: dict[str, str] = {}
    if route not in ROUTES:
        errors["route"] = "Choose the route this child should go to."
    elif route == item.route:
        errors["route"] = f"The child is already on {route}: use Confirm instead."
    if not reason.strip():
        errors["reason"] = "Give the reason for the override; it goes into the decision log."
    return errors
