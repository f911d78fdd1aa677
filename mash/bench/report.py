"""The benchmark's results as data: what each scenario measured, the JSON document runs are
compared by, and the rows of the printed table. Pure: no I/O, no clocks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from mash.bench.config import TARGETS

KEYS: Final = (
    "baseline_msgs_per_s",
    "e2e_referrals_per_s",
    "e2e_children_per_s",
    "ratio",
    "latency_ms",
    "route_referrals_per_s",
    "route_children_per_s",
    "sink_sqlite_per_s",
    "sink_postgres_per_s",
    "restart_s",
    "worker_peak_rss_mb",
)
"""Every comparable figure, always present in the JSON (``null`` with a reason when not
measured), so that two runs can be compared key by key."""


@dataclass
class Outcome:
    """What one scenario found: figures (keys of :data:`KEYS`), the details behind them
    (counts, seconds, sizes), and why any figure is missing."""

    figures: dict[str, Any] = field(default_factory=dict)
    detail: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def fail(self, key: str, reason: str) -> None:
        """Record that ``key`` could not be measured, and why."""
        self.figures[key] = None
        self.reasons[key] = reason


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in (0, 1]) of non-empty ``values``."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """p50, p95, p99 and max of the latencies, in milliseconds."""
    return {
        "p50": round(percentile(latencies_ms, 0.50), 1),
        "p95": round(percentile(latencies_ms, 0.95), 1),
        "p99": round(percentile(latencies_ms, 0.99), 1),
        "max": round(max(latencies_ms), 1),
    }


def ratio(e2e: float | None, baseline: float | None) -> float | None:
    """End-to-end referrals/s over the raw pass-through's messages/s."""
    if not e2e or not baseline:
        return None
    return round(e2e / baseline, 3)


def document(
    *,
    machine: Mapping[str, Any],
    config: Mapping[str, Any],
    scenarios: Mapping[str, Outcome],
    loads: Mapping[str, Mapping[str, float | None]],
    duration_s: float,
    started_at: str,
) -> dict[str, Any]:
    """The JSON document of one run: the flat figures of :data:`KEYS` first, then where and
    how it ran, targets, reasons for missing figures, and each scenario's details with the
    load average before and after it."""
    figures: dict[str, Any] = dict.fromkeys(KEYS)
    reasons: dict[str, str] = {}
    for outcome in scenarios.values():
        figures.update(outcome.figures)
        reasons.update(outcome.reasons)
    if figures["ratio"] is None and "ratio" not in reasons:
        figures["ratio"] = ratio(figures["e2e_referrals_per_s"], figures["baseline_msgs_per_s"])
        if figures["ratio"] is None:
            reasons["ratio"] = "needs both the baseline and the end-to-end figures"
    for key in KEYS:
        if figures[key] is None and key not in reasons:
            reasons[key] = "not measured in this run (see --only)"
    return {
        **figures,
        "machine": dict(machine),
        "run": {**config, "started_at": started_at, "duration_s": round(duration_s, 1)},
        "targets": dict(TARGETS),
        "reasons": reasons,
        "scenarios": {
            name: {**outcome.detail, "load_avg": dict(loads.get(name, {}))}
            for name, outcome in scenarios.items()
        },
    }


def _number(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float) and value < 10:
        return f"{value:,.2f}{unit}"
    return f"{value:,.0f}{unit}"


def _load(loads: Mapping[str, Mapping[str, float | None]], name: str) -> str:
    seen = loads.get(name, {})
    start, end = seen.get("start"), seen.get("end")
    if start is None:
        return "-"
    return f"{start:.2f} -> {end:.2f}" if end is not None else f"{start:.2f}"


def table_rows(doc: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """(measure, figure, target, load average before -> after) for the printed table; a
    missing figure shows its reason instead."""
    loads = {name: detail.get("load_avg", {}) for name, detail in doc["scenarios"].items()}
    reasons = doc["reasons"]
    latency = doc.get("latency_ms") or {}

    def figure(key: str, text: str) -> str:
        return text if doc.get(key) is not None else "n/a" if key in reasons else "-"

    rows = [
        (
            "1 baseline pass-through",
            figure("baseline_msgs_per_s", _number(doc["baseline_msgs_per_s"], " msg/s")),
            "",
            _load(loads, "baseline"),
        ),
        (
            "2 end-to-end referrals",
            figure("e2e_referrals_per_s", _number(doc["e2e_referrals_per_s"], "/s")),
            TARGETS["e2e_referrals_per_s"],
            _load(loads, "e2e"),
        ),
        (
            "2 end-to-end children",
            figure("e2e_children_per_s", _number(doc["e2e_children_per_s"], "/s")),
            "",
            _load(loads, "e2e"),
        ),
        (
            "2 ratio to baseline",
            figure("ratio", _number(doc["ratio"])),
            TARGETS["ratio"],
            _load(loads, "e2e"),
        ),
        (
            "3 latency p50 / p95 / p99",
            figure(
                "latency_ms",
                " / ".join(_number(latency.get(p), " ms") for p in ("p50", "p95", "p99")),
            ),
            TARGETS["latency_ms.p99"],
            _load(loads, "latency"),
        ),
        (
            "4 offline route (1 core)",
            figure("route_referrals_per_s", _number(doc["route_referrals_per_s"], " referrals/s")),
            TARGETS["route_referrals_per_s"],
            _load(loads, "route"),
        ),
        (
            "5 decision log: SQLite",
            figure("sink_sqlite_per_s", _number(doc["sink_sqlite_per_s"], " decisions/s")),
            "",
            _load(loads, "sink"),
        ),
        (
            "5 decision log: PostgreSQL",
            figure("sink_postgres_per_s", _number(doc["sink_postgres_per_s"], " decisions/s")),
            "",
            _load(loads, "sink"),
        ),
        (
            "6 worker restart",
            figure("restart_s", _number(doc["restart_s"], " s")),
            "",
            _load(loads, "restart"),
        ),
        (
            "7 worker peak RSS",
            figure("worker_peak_rss_mb", _number(doc["worker_peak_rss_mb"], " MiB")),
            "",
            _load(loads, "rss"),
        ),
    ]
    return rows


def missing_lines(doc: Mapping[str, Any]) -> list[str]:
    """``key: reason`` for every figure the run could not give (printed under the table)."""
    return [f"{key}: {reason}" for key, reason in doc["reasons"].items()]
