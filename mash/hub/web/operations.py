"""What operators and the browser need without signing in: Prometheus metrics, the health
check and the two static files."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.responses import Response

from mash.hub import metrics
from mash.hub.web.shared import TEMPLATES, BoardDep

router = APIRouter()
STATIC = {"board.css": "text/css", "board.js": "text/javascript"}


@router.get("/metrics")
def prometheus(board: BoardDep) -> Response:
    body = metrics.exposition(board.live, board.clock.now, board.policy)
    return Response(body, media_type=metrics.CONTENT_TYPE)


@router.get("/healthz")
def health(board: BoardDep) -> JSONResponse:
    return JSONResponse({"ok": True, "caught_up": board.live.caught_up.is_set()})


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in STATIC:
        return PlainTextResponse("not found", status_code=404)
    return Response(
        (TEMPLATES / name).read_text(),
        media_type=STATIC[name],
        headers={"Cache-Control": "max-age=3600"},
    )
