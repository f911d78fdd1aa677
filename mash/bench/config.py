"""What one ``mash bench`` run measures, and how much of it: sizes for the full and the quick
run, the scenario names, and the targets of DESIGN.md each figure is read against."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Final

from mash.errors import UsageError

SCENARIOS: Final = ("baseline", "e2e", "latency", "route", "sink", "restart", "rss")
"""In the order they run: offline ones first (no broker), then the broker ones."""
WORKER_SCENARIOS: Final = frozenset({"e2e", "latency", "restart", "rss"})

TARGETS: Final = {
    "e2e_referrals_per_s": ">= 5,000/s sustained",
    "ratio": ">= 0.5 of baseline",
    "latency_ms.p99": "<= 200 ms at 500/s",
    "route_referrals_per_s": ">= 20,000/s on one core",
}


@dataclass(frozen=True)
class Sizes:
    """How much each scenario does.

    ``referrals``: referrals through the stream (end-to-end) and offline routing;
    ``baseline``: messages through the raw pass-through; ``latency_s`` at ``rate``
    referrals/s; ``people``: record rows in the four record tables when the worker restarts;
    ``sink``: decisions appended to each decision log."""

    referrals: int
    baseline: int
    latency_s: float
    people: int
    sink: int
    rate: int = 500

    def __post_init__(self) -> None:
        for name in ("referrals", "baseline", "people", "sink", "rate"):
            if getattr(self, name) < 1:
                raise UsageError(f"bench size {name} must be at least 1")
        if self.latency_s <= 0:
            raise UsageError("--latency-s must be positive")

    @property
    def latency_referrals(self) -> int:
        """Referrals published during the fixed-rate latency run."""
        return max(1, round(self.latency_s * self.rate))


FULL: Final = Sizes(
    referrals=100_000, baseline=100_000, latency_s=30.0, people=1_000_000, sink=20_000
)
QUICK: Final = Sizes(referrals=2_000, baseline=10_000, latency_s=5.0, people=20_000, sink=2_000)
PROBES: Final = 4
"""Spare referrals kept aside to see a worker start routing (warm-up and restart)."""


@dataclass(frozen=True)
class BenchConfig:
    """One run: where the broker is, the run's own topic prefix, sizes and choices."""

    bootstrap: str
    prefix: str
    sizes: Sizes
    only: frozenset[str] = frozenset(SCENARIOS)
    partitions: int = 6
    workers: int = 1
    seed: int = 7
    postgres_url: str | None = None
    quick: bool = False

    def runs(self, scenario: str) -> bool:
        """Whether ``scenario`` was asked for."""
        return scenario in self.only

    @property
    def needs_worker(self) -> bool:
        return bool(self.only & WORKER_SCENARIOS)

    @property
    def needs_broker(self) -> bool:
        return self.needs_worker or "baseline" in self.only


def parse_only(values: Iterable[str] | None) -> frozenset[str]:
    """``--only`` values (repeated and/or comma-separated) as scenario names; all when empty."""
    names = {part.strip().lower() for value in values or () for part in value.split(",")}
    names.discard("")
    if not names:
        return frozenset(SCENARIOS)
    unknown = sorted(names - set(SCENARIOS))
    if unknown:
        raise UsageError(f"--only {', '.join(unknown)}: expected some of {', '.join(SCENARIOS)}")
    return frozenset(names)


def sizes_for(quick: bool, **overrides: float | None) -> Sizes:
    """The full or quick sizes with any given overrides (``None`` means keep)."""
    base = QUICK if quick else FULL
    given = {name: value for name, value in overrides.items() if value is not None}
    return replace(base, **given)  # type: ignore[arg-type]
