"""Where each agency's input goes: its schema subject, its own id (the Kafka key), its topic.

The key is the agency's own id so that every version of one referral or one person's record
lands on the same partition (ordered), and so compaction keeps the latest record per person.
"""

from __future__ import annotations

from dataclasses import dataclass

from mash.errors import UsageError
from mash.topics import AGENCIES, RECORD_KINDS, Topics

REFERRAL_KEYS: dict[str, str] = {
    "police": "ppn_id",
    "health": "referralId",
    "council": "request_ref",
}
RECORD_KEY = "person_id"


@dataclass(frozen=True, slots=True)
class Target:
    """What one connector run writes: subject, key field and topic."""

    subject: str
    key_field: str
    topic: str
    what: str  # "police referrals", "social-care records": for messages


def referral_target(agency: str, topics: Topics) -> Target:
    """The ingest topic of one agency; :class:`UsageError` for an unknown agency."""
    if agency not in AGENCIES:
        raise UsageError(f"unknown agency {agency!r} (choose {', '.join(AGENCIES)})")
    return Target(agency, REFERRAL_KEYS[agency], topics.referrals(agency), f"{agency} referrals")


def record_target(kind: str, topics: Topics) -> Target:
    """The compacted record topic of one kind; :class:`UsageError` for an unknown kind."""
    if kind not in RECORD_KINDS:
        raise UsageError(f"unknown record kind {kind!r} (choose {', '.join(RECORD_KINDS)})")
    return Target(f"records.{kind}", RECORD_KEY, topics.records(kind), f"{kind} records")
