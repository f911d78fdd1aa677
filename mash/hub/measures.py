"""The numbers behind ``/metrics``, computed from the ledger (pure).

Counters are derived from the replayed state rather than incremented as things happen, so a
restarted board reports the same totals as before and every process that reads the topics
agrees. Prometheus only needs them to never go down within one process, which holds because
the ledger only grows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from mash.hub.model import ItemState, WorkItem
from mash.hub.sla import ELAPSED, SlaPolicy

LATENCY_BUCKETS: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0)
DECISION_BUCKETS: tuple[float, ...] = tuple(h * 3600.0 for h in (1, 2, 4, 8, 24, 48, 120))


@dataclass(frozen=True)
class Measures:
    """Everything ``/metrics`` shows, keyed by route (and action for staff decisions)."""

    depth: Counter[str] = field(default_factory=Counter)
    decisions: Counter[str] = field(default_factory=Counter)
    staff_decisions: Counter[tuple[str, str]] = field(default_factory=Counter)
    warnings: Counter[str] = field(default_factory=Counter)
    breaches: Counter[str] = field(default_factory=Counter)
    processing_latency: tuple[float, ...] = ()
    time_to_decision: tuple[float, ...] = ()


def _decision(item: WorkItem) -> str | None:
    """How a person decided the item (confirmed or overridden), or None if nobody has: fixed
    once decided, so the counter keeps its label when the child is later transferred."""
    if item.decided_at is None:
        return None
    return ItemState.OVERRIDDEN.value if item.route != item.routed_to else ItemState.CONFIRMED.value


def _clock_stop(item: WorkItem, now: datetime) -> datetime:
    """When the item's clock stopped: its decision, or now if it is still open."""
    return now if item.is_open or item.decided_at is None else item.decided_at


def measure(items: Iterable[WorkItem], now: datetime, policy: SlaPolicy = ELAPSED) -> Measures:
    """Queue depth, decisions, SLA warnings/breaches and latencies per route."""
    result = Measures()
    latency: list[float] = []
    decided: list[float] = []
    for item in items:
        result.decisions[item.routed_to] += 1
        if item.state is ItemState.SUPERSEDED and item.decided_at is None:
            continue  # its clocks went to the decision that replaced it
        stop = _clock_stop(item, now)
        decision = _decision(item)
        if item.is_open:
            result.depth[item.route] += 1
        elif decision is not None:
            result.staff_decisions[(item.routed_to, decision)] += 1
            decided.append((stop - item.received_at).total_seconds())
        if stop >= policy.warning_at(item.received_at, item.deadline):
            result.warnings[item.routed_to] += 1
        if stop > item.deadline:
            result.breaches[item.routed_to] += 1
        if item.routed_at is not None:
            latency.append(max(0.0, (item.routed_at - item.received_at).total_seconds()))
    return Measures(
        depth=result.depth,
        decisions=result.decisions,
        staff_decisions=result.staff_decisions,
        warnings=result.warnings,
        breaches=result.breaches,
        processing_latency=tuple(latency),
        time_to_decision=tuple(decided),
    )


def histogram(samples: Iterable[float], buckets: tuple[float, ...]) -> list[tuple[str, float]]:
    """Cumulative bucket counts in Prometheus' form, ending with ``+Inf``."""
    values = sorted(samples)
    counts = [(f"{b:g}", float(sum(1 for v in values if v <= b))) for b in buckets]
    return [*counts, ("+Inf", float(len(values)))]
