"""The queues page: every queue the person may see, most urgent first, and the SLA summary and
the children beyond five working days in the front door for those allowed it. ``?fragment=1``
is the table alone, for the live refresh."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.responses import Response

from mash.hub.sla import beyond_five_days, format_age
from mash.hub.users import Permission
from mash.hub.views import queue_views, visible_sla
from mash.hub.web.shared import BoardDep, StaffDep, render

router = APIRouter()


@router.get("/", include_in_schema=False)
def home() -> Response:
    return RedirectResponse("/queues", status_code=303)


@router.get("/queues", response_class=HTMLResponse)
def queues(
    request: Request, board: BoardDep, staff: StaffDep, fragment: bool = False
) -> HTMLResponse:
    now = board.clock.now()
    may_sla = staff.may(Permission.SLA)
    views, sla, beyond = board.live.read(
        lambda ledger: (
            queue_views(ledger, staff, now, board.policy),
            visible_sla(ledger, staff, now, board.policy) if may_sla else [],
            beyond_five_days(ledger.items.values(), now, board.policy) if may_sla else [],
        )
    )
    context: dict[str, Any] = {
        "user": staff,
        "queues": views,
        "sla": sla,
        "beyond": beyond,
        "now": now,
        "loading": not board.live.caught_up.is_set(),
        "format_age": format_age,
    }
    return render(request, board, "_queues.html" if fragment else "queues.html", **context)
