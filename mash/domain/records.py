"""Cross-agency person records: the latest known state of a person in each agency's system.

Fed from the compacted ``mash.records.*`` topics (stream) or JSON Lines files (offline).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

RecordKind = Literal["social-care", "early-help", "police", "health"]


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person in one agency's system. ``attributes`` holds the agency-specific fields
    (e.g. social care ``status``, police ``domestic_incidents_12m``), already typed."""

    kind: RecordKind
    person_id: str
    forenames: str
    surname: str
    dob: date | None
    updated_at: datetime
    nhs_number: str | None = None
    postcode: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
