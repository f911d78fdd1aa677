"""What leaves the hub when a child leaves the front door: an outcome and the referrer's feedback.

Why from the log's entries: an outcome is published only for a hand-off that is on the record
(a transfer, a close that took effect, a manager's approval of a close), with exactly the
fields the log sealed, so the case-management system, the referring agency and an auditor read
the same story. Pure: a logged entry in, plain dicts out (the sink encodes and publishes them).

The feedback holds ids, codes, times and a summary in words, never names or a worker's free
text: it goes to the referring agency, which knows the child but need not read the hub's notes.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mash.domain.oversight import CloseReason, Destination
from mash.domain.routes import Route


def is_handoff(entry: Mapping[str, Any]) -> bool:
    """A logged staff step after which the child is out of the front door."""
    if entry.get("kind") != "action" or entry.get("awaiting_approval"):
        return False
    action = entry.get("action")
    return action == "TRANSFER" or (
        action in ("CLOSE", "APPROVE") and bool(entry.get("close_reason"))
    )


def _instant(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def outcome_of(entry: Mapping[str, Any]) -> dict[str, Any] | None:
    """The ``outcome`` record of a logged hand-off, or None for any other entry."""
    if not is_handoff(entry):
        return None
    at = _instant(entry.get("decided_at"))
    return {
        "outcome_id": str(entry["decision_id"]),
        "decision_id": str(entry["subject"]),
        "outcome": "TRANSFERRED" if entry.get("action") == "TRANSFER" else "CLOSED",
        "agency": str(entry.get("agency") or ""),
        "source_id": str(entry.get("source_id") or ""),
        "child_index": int(entry.get("child_index") or 0),
        "child_key": entry.get("child_key"),
        "route": str(entry.get("route") or Route.S47.value),
        "destination": entry.get("destination"),
        "detail": entry.get("detail"),
        "close_reason": entry.get("close_reason"),
        "reason": entry.get("reason"),
        "by": str(entry.get("decided_by")),
        "received_at": _instant(entry.get("received_at")),
        "decision_deadline": _instant(entry.get("deadline")),
        "at": at,
    }


def _summary(outcome: Mapping[str, Any]) -> str:
    route = Route.parse(outcome.get("route"))
    decided = f"Decided: {route.label if route else outcome.get('route')}."
    if outcome["outcome"] == "TRANSFERRED":
        try:
            where = Destination(str(outcome.get("destination"))).label
        except ValueError:
            where = str(outcome.get("destination"))
        detail = f": {outcome['detail']}" if outcome.get("detail") else ""
        return f"{decided} Transferred to the {where}{detail}."
    try:
        why = CloseReason(str(outcome.get("close_reason"))).label
    except ValueError:
        why = str(outcome.get("close_reason"))
    return f"{decided} Closed at the front door: {why}."


def feedback_of(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The referring agency's ``feedback`` record of an outcome (no names, no free text)."""
    deadline, at = outcome.get("decision_deadline"), outcome["at"]
    return {
        "feedback_id": outcome["outcome_id"],
        "agency": outcome["agency"],
        "source_id": outcome["source_id"],
        "child_index": outcome["child_index"],
        "outcome": outcome["outcome"],
        "route": outcome["route"],
        "summary": _summary(outcome),
        "received_at": outcome.get("received_at"),
        "decided_by_deadline": None if deadline is None else at <= deadline,
        "at": at,
    }
