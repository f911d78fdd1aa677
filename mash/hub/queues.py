"""The hub's queues as one in-memory ledger, built by folding work items and staff events.

Messages on different topics arrive in no guaranteed order: an event can be read before the
work item it is about. The ledger keeps such events aside and applies them when the item turns
up, so the result does not depend on which topic a reader drained first. Duplicates (a replay,
a retried send) are dropped by ``decision_id`` and ``event_id``. A newer decision about the same
referral and child supersedes the item still in the front door (:func:`mash.hub.model.supersede`),
whichever of the two is read first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mash.domain.decision import DecisionRecord
from mash.errors import StateError, UsageError
from mash.hub.model import DECIDED_STATES, HubEvent, WorkItem, apply_event, place

Case = tuple[str, str, int]


@dataclass
class Ledger:
    """Every work item the hub has seen and its current state (pure, no I/O)."""

    items: dict[str, WorkItem] = field(default_factory=dict)
    decisions: dict[str, DecisionRecord] = field(default_factory=dict)
    history: dict[str, list[HubEvent]] = field(default_factory=lambda: defaultdict(list))
    rejected: int = 0
    _seen_events: set[str] = field(default_factory=set)
    _early: dict[str, list[HubEvent]] = field(default_factory=lambda: defaultdict(list))
    _cases: dict[Case, str] = field(default_factory=dict)

    def add_item(self, item: WorkItem) -> bool:
        """Record a routed item once; returns False for a duplicate.

        An item about a case that already has one in the front door supersedes it when it is
        the newer decision, and is superseded at once when it is the older (read late).
        """
        if item.decision_id in self.items:
            return False
        self.items[item.decision_id] = item
        for event in self._early.pop(item.decision_id, []):
            self._apply_known(event)
        self._place(self.items[item.decision_id])
        return True

    def _place(self, item: WorkItem) -> None:
        current_id = self._cases.get(item.case)
        placement = place(self.items.get(current_id) if current_id else None, item)
        for placed in placement.items:
            self.items[placed.decision_id] = placed
        if placement.current:
            self._cases[item.case] = item.decision_id

    def add_decision(self, decision: DecisionRecord) -> None:
        """Keep the full decision dict (from ``mash.decisions``) for the item page."""
        if decision.get("kind", "decision") == "decision" and decision.get("decision_id"):
            self.decisions[str(decision["decision_id"])] = decision

    def apply(self, event: HubEvent) -> bool:
        """Apply a staff event; False if it was a duplicate, early, or lost a race."""
        if event.event_id in self._seen_events:
            return False
        self._seen_events.add(event.event_id)
        if event.decision_id not in self.items:
            self._early[event.decision_id].append(event)
            return False
        return self._apply_known(event)

    def _apply_known(self, event: HubEvent) -> bool:
        try:
            self.items[event.decision_id] = apply_event(self.items[event.decision_id], event)
        except (StateError, UsageError):
            self.rejected += 1
            return False
        self.history[event.decision_id].append(event)
        return True

    def find(self, ref: str) -> WorkItem:
        """The item whose decision id is ``ref`` or starts with it (like a short git hash)."""
        if ref in self.items:
            return self.items[ref]
        found = [item for key, item in self.items.items() if key.startswith(ref)] if ref else []
        if not found:
            raise UsageError(f"no work item {ref!r} in any queue")
        if len(found) > 1:
            raise UsageError(f"{ref!r} matches {len(found)} work items: give more of the id")
        return found[0]

    def details(self, decision_id: str) -> Mapping[str, Any]:
        """The fullest form of an item's decision: the decision topic's, else the queue's."""
        if decision_id in self.decisions:
            return self.decisions[decision_id]
        item = self.items.get(decision_id)
        return item.payload if item else {}

    def open_items(self, route: str | None = None) -> list[WorkItem]:
        """Items still awaiting a decision, most urgent (earliest deadline) first."""
        return sorted(
            (i for i in self.items.values() if i.is_open and (route is None or i.route == route)),
            key=lambda i: (i.deadline, i.decision_id),
        )

    def to_hand_off(self, route: str | None = None) -> list[WorkItem]:
        """Items decided by a person but still in the front door (to transfer or close),
        longest in the front door first: the five-working-day clock still runs on them."""
        return sorted(
            (
                i
                for i in self.items.values()
                if i.state in DECIDED_STATES and (route is None or i.route == route)
            ),
            key=lambda i: (i.received_at, i.decision_id),
        )


def build_ledger(items: Iterable[WorkItem], events: Iterable[HubEvent]) -> Ledger:
    """A ledger from everything read so far, in whatever order it was read."""
    ledger = Ledger()
    for item in items:
        ledger.add_item(item)
    for event in events:
        ledger.apply(event)
    return ledger
