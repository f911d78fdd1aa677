"""Sample agency messages and records of the stream worker's unit tests (hand-written, made
up: the names and NHS numbers in the never-issued 999 range are nobody's)."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from mash.topics import Topics

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SENT_MS = 1_795_680_000_000  # 2026-11-26T08:00:00Z, the agency's message timestamp
TOPICS = Topics("unit.")

POLICE: dict[str, Any] = {
    "ppn_id": "PPN-U-0001",
    "force_code": "CLE",
    "incident_at": "2026-11-23T22:40:00Z",
    "incident_type": "DOMESTIC_ABUSE",
    "dash_risk": "HIGH",
    "children": [
        {
            "forenames": "Lily",
            "surname": "Harper",
            "dob": "2020-05-14",
            "nhs_number": "9990001006",
            "postcode": "TS19 0QX",
            "present_at_incident": True,
            "injured": False,
        },
        {
            "forenames": "Noah",
            "surname": "Harper",
            "dob": "2023-01-30",
            "nhs_number": "9990001014",
            "postcode": "TS19 0QX",
            "present_at_incident": True,
            "injured": False,
        },
    ],
    "adults": [{"role": "VICTIM", "forenames": "Jade", "surname": "Harper", "dob": "1996-02-11"}],
    "concern_codes": ["3C"],
    "non_fatal_strangulation": False,
    "weapon_used": False,
    "victim_pregnant": False,
    "marac_referral": True,
    "narrative": "Both children present during the incident.",
}

SOCIAL_CARE: dict[str, Any] = {
    "person_id": "SC-U-1",
    "nhs_number": "9990001006",
    "forenames": "Lily",
    "surname": "Harper",
    "dob": "2020-05-14",
    "postcode": "TS19 0QX",
    "updated_at": "2026-11-20T09:00:00Z",
    "status": "CP_PLAN",
    "referrals_12m": 2,
}


def police(**changes: Any) -> dict[str, Any]:
    """A copy of the sample police notification (JSON form) with top-level changes."""
    record = copy.deepcopy(POLICE)
    record.update(changes)
    return record
