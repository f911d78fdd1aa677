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

from mash.domain.routes import Route
from mash.hub.live import LiveLedger
from mash.hub.measures import DECISION_BUCKETS, LATENCY_BUCKETS, Measures, histogram, measure
from mash.hub.sla import SlaPolicy

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def _per_route(family: GaugeMetricFamily | CounterMetricFamily, values: dict[str, int]) -> None:
    for route in Route.ordered():
        family.add_metric([route], float(values.get(route, 0)))


def families(m: Measures) -> Iterator[Metric]:
    """The metric families of one set of measures."""
    depth = GaugeMetricFamily("mash_queue_depth", "Open work items per queue.", labels=["route"])
    _per_route(depth, m.depth)
    yield depth
    routed = CounterMetricFamily(
        "mash_decisions", "Routing decisions that reached a queue, per route.", labels=["route"]
    )
    _per_route(routed, m.decisions)
    yield routed
    staff = CounterMetricFamily(
        "mash_staff_decisions",
        "Items decided by staff, per proposed route and outcome.",
        labels=["route", "outcome"],
    )
    for (route, outcome), count in sorted(m.staff_decisions.items()):
        staff.add_metric([route, outcome], float(count))
    yield staff
    warnings = CounterMetricFamily(
        "mash_sla_warnings", "Items that reached 80% of their time.", labels=["route"]
    )
    _per_route(warnings, m.warnings)
    yield warnings
    breaches = CounterMetricFamily(
        "mash_sla_breaches", "Items that passed their deadline undecided.", labels=["route"]
    )
    _per_route(breaches, m.breaches)
    yield breaches
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


def exposition(live: LiveLedger, now: Callable[[], datetime], policy: SlaPolicy) -> bytes:
    """The ``/metrics`` body: a fresh registry per scrape keeps boards in one process apart."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(HubCollector(live, now, policy))  # type: ignore[arg-type]
    return generate_latest(registry)
