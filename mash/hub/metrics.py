"""Prometheus exposition of :mod:`mash.hub.measures` (adapter over prometheus-client).

A custom collector computes the numbers at scrape time from the live ledger, so nothing has
to remember to increment a counter, and every board replica reports the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric

from mash.deadletters.model import Counts, OverduePolicy, counts
from mash.deadletters.settings import overdue_policy
from mash.domain.routes import Route
from mash.hub.live import LiveLedger
from mash.hub.measures import DECISION_BUCKETS, LATENCY_BUCKETS, Measures, histogram, measure
from mash.hub.sla import SlaPolicy

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _per_route(
    kind: type[GaugeMetricFamily] | type[CounterMetricFamily],
    name: str,
    documentation: str,
    values: dict[str, int],
) -> Metric:
    """A family with one sample per route, every route present (zero when it has none)."""
    family = kind(name, documentation, labels=["route"])
    for route in Route.ordered():
        family.add_metric([route], float(values.get(route, 0)))
    return family


def families(m: Measures) -> Iterator[Metric]:
    """The metric families of one set of measures."""
    yield _per_route(GaugeMetricFamily, "mash_queue_depth", "Open work items per queue.", m.depth)
    yield _per_route(
        CounterMetricFamily,
        "mash_decisions",
        "Routing decisions that reached a queue, per route.",
        m.decisions,
    )
    staff = CounterMetricFamily(
        "mash_staff_decisions",
        "Items decided by staff, per proposed route and outcome.",
        labels=["route", "outcome"],
    )
    for (route, outcome), count in sorted(m.staff_decisions.items()):
        staff.add_metric([route, outcome], float(count))
    yield staff
    yield _per_route(
        CounterMetricFamily,
        "mash_sla_warnings",
        "Items that reached 80% of their time.",
        m.warnings,
    )
    yield _per_route(
        CounterMetricFamily,
        "mash_sla_breaches",
        "Items that passed their deadline undecided.",
        m.breaches,
    )
    for name, doc, samples, buckets in (
        (
            "mash_processing_latency_seconds",
            "Referral receipt to routed decision.",
            m.processing_latency,
            LATENCY_BUCKETS,
        ),
        (
            "mash_time_to_decision_seconds",
            "Referral receipt to a person's decision.",
            m.time_to_decision,
            DECISION_BUCKETS,
        ),
    ):
        yield HistogramMetricFamily(
            name, doc, buckets=histogram(samples, buckets), sum_value=float(sum(samples))
        )


def deadletter_families(c: Counts) -> Iterator[Metric]:
    """The dead-letter queue's two gauges (alert rules in deploy/monitoring use these names)."""
    yield GaugeMetricFamily(
        "mash_deadletters_open",
        "Dead letters not yet replayed or closed (claimed or not).",
        value=float(c.open),
    )
    yield GaugeMetricFamily(
        "mash_deadletters_overdue",
        "Open dead letters past their due time (MASH_DEADLETTER_OVERDUE_DAYS working days).",
        value=float(c.overdue),
    )


class HubCollector:
    """Collects from a :class:`LiveLedger` at scrape time."""

    def __init__(self, live: LiveLedger, now: Callable[[], datetime], policy: SlaPolicy) -> None:
        self._live = live
        self._now = now
        self._policy = policy

    def collect(self) -> Iterator[Metric]:
        now = self._now()
        measures = self._live.read(lambda ledger: measure(ledger.items.values(), now, self._policy))
        yield from families(measures)
        overdue: OverduePolicy = overdue_policy(self._policy.calendar)
        yield from deadletter_families(
            self._live.deadletters.read(lambda queue: counts(queue, now, overdue))
        )


def exposition(live: LiveLedger, now: Callable[[], datetime], policy: SlaPolicy) -> bytes:
    """The ``/metrics`` body: a fresh registry per scrape keeps boards in one process apart."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(live, now, policy))  # type: ignore[arg-type]
    return generate_latest(registry)
