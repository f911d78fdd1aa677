"""Topic names of the design contract, in one place.

A ``prefix`` lets tests (and a shared dev cluster) run side by side without seeing each other's
messages: every name below gets it in front. There is one queue topic per route
(:class:`mash.domain.routes.Route`).
"""

from __future__ import annotations

from dataclasses import dataclass

from mash.domain.routes import Route

AGENCIES: tuple[str, ...] = ("police", "health", "council")
RECORD_KINDS: tuple[str, ...] = ("social-care", "early-help", "police", "health")


@dataclass(frozen=True)
class Topics:
    """The names of every topic, optionally prefixed."""

    prefix: str = ""

    def referrals(self, agency: str) -> str:
        return f"{self.prefix}mash.referrals.{agency}"

    def records(self, kind: str) -> str:
        return f"{self.prefix}mash.records.{kind}"

    def queue(self, route: str) -> str:
        return f"{self.prefix}mash.queue.{route}"

    @property
    def canonical(self) -> str:
        return f"{self.prefix}mash.referrals.canonical"

    @property
    def decisions(self) -> str:
        return f"{self.prefix}mash.decisions"

    @property
    def overrides(self) -> str:
        return f"{self.prefix}mash.overrides"

    @property
    def alerts(self) -> str:
        return f"{self.prefix}mash.alerts"

    @property
    def deadletter(self) -> str:
        return f"{self.prefix}mash.deadletter"

    @property
    def deadletter_events(self) -> str:
        """What staff did with dead letters (claim, replay, close): the dead-letter queue's
        own ``mash.overrides``."""
        return f"{self.prefix}mash.deadletter.events"

    @property
    def outcomes(self) -> str:
        """Hand-offs from the front door (transfer or close), for case-management systems."""
        return f"{self.prefix}mash.outcomes"

    def feedback(self, agency: str) -> str:
        """What was decided about an agency's referral, for that agency alone to read."""
        return f"{self.prefix}mash.feedback.{agency}"

    def feedback_topics(self) -> list[str]:
        return [self.feedback(a) for a in AGENCIES]

    def ingest(self) -> list[str]:
        return [self.referrals(a) for a in AGENCIES]

    def record_topics(self) -> list[str]:
        return [self.records(k) for k in RECORD_KINDS]

    def queues(self) -> list[str]:
        return [self.queue(r) for r in Route.ordered()]

    def all(self) -> list[str]:
        return [
            *self.ingest(),
            *self.record_topics(),
            self.canonical,
            *self.queues(),
            self.decisions,
            self.overrides,
            self.alerts,
            self.deadletter,
            self.deadletter_events,
            self.outcomes,
            *self.feedback_topics(),
        ]
