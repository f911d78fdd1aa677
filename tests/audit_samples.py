"""Decision dicts in the contract's shape (DESIGN.md / the team brief), for the log's tests.

Shared by the unit and integration conftests of the audit tests (tests/ is on sys.path through
the root conftest; the module name is unique so it cannot clash with another test helper).
"""

from __future__ import annotations

from typing import Any

ROUTES = ("s47", "assessment", "caf", "universal")


def sample_decision(i: int, **changes: Any) -> dict[str, Any]:
    """Decision number ``i``: every contract field, varied by ``i``, no personal data."""
    route = ROUTES[i % 4]
    decision: dict[str, Any] = {
        "decision_id": f"dec-{i:06d}",
        "kind": "decision",
        "agency": ("police", "health", "council")[i % 3],
        "source_id": f"REF-{i // 2:05d}",
        "source_code": ("6", "3A", "2A")[i % 3],
        "child_index": i % 2,
        "child_key": f"nhs:999{i:07d}",
        "household_id": f"hh-{i // 2:05d}",
        "match": ("EXACT", "PROBABLE", "POSSIBLE", "NONE")[i % 4],
        "match_score": round(1 - (i % 4) * 0.25, 2),
        "route": route,
        "level": 4 - i % 4,
        "rules": [
            {
                "id": f"l{4 - i % 4}.rule_{i % 7}",
                "level": 4 - i % 4,
                "reason": f"Reason number {i % 7} in plain words.",
                "evidence": {"dash_risk": "HIGH", "age_months": i % 200},
            }
        ],
        "checks": {
            "social-care": "FOUND",
            "early-help": "NOT_FOUND",
            "police": "UNAVAILABLE" if i % 5 == 0 else "NOT_FOUND",
            "health": "NOT_FOUND",
        },
        "check_details": {"social-care": {"outcome": "FOUND", "status": "OPEN_CIN"}},
        "flags": ["CHECKS_INCOMPLETE"] if i % 5 == 0 else [],
        "facts": {"age_months": i % 200, "concerns": ["3A", "16A"]},
        "rule_set_version": "rs-0001",
        "input_digest": f"{i:064x}",
        "received_at": f"2026-05-{1 + i % 28:02d}T09:00:00Z",
        "decided_at": f"2026-05-{1 + i % 28:02d}T09:00:01.250000Z",
        "deadline": f"2026-05-{1 + i % 28:02d}T17:00:00+00:00",
        "decided_by": "mash-router@0.1.0",
        "supersedes": None,
        "reason": None,
    }
    decision.update(changes)
    return decision
