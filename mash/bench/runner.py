"""One benchmark run, in order: prepare the data, the offline scenarios, then (against the
broker, under a topic prefix of the run's own) the pass-through baseline and the worker
scenarios; finally the run's topics are deleted and its workers stopped, whatever happened.

A scenario that fails does not end the run: its figures are ``null`` with the reason, the
others are still measured. The load average is noted before and after every scenario, since
this machine's two cores are shared.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mash.bench.config import WORKER_SCENARIOS, BenchConfig
from mash.bench.machine import load_avg, machine_info
from mash.bench.progress import Tracker
from mash.bench.report import Outcome, document
from mash.errors import MashError

if TYPE_CHECKING:
    from mash.domain.decision import DecisionRecord

SCENARIO_KEYS: Final = {
    "baseline": ("baseline_msgs_per_s",),
    "e2e": ("e2e_referrals_per_s", "e2e_children_per_s"),
    "latency": ("latency_ms",),
    "route": ("route_referrals_per_s", "route_children_per_s"),
    "sink": ("sink_sqlite_per_s", "sink_postgres_per_s"),
    "restart": ("restart_s",),
    "rss": ("worker_peak_rss_mb",),
}
FAILED: Final = "failed: "
"""Reasons that start with this are errors (exit code 1), not figures left out by choice."""


def failed(name: str, reason: str) -> Outcome:
    """An outcome whose every figure is missing for ``reason``."""
    outcome = Outcome()
    for key in SCENARIO_KEYS[name]:
        outcome.fail(key, reason)
    return outcome


class Run:
    """Collects each scenario's outcome with the load average around it."""

    def __init__(self) -> None:
        self.outcomes: dict[str, Outcome] = {}
        self.loads: dict[str, dict[str, float | None]] = {}

    def measure(self, name: str, scenario: Callable[[], Outcome]) -> None:
        start = load_avg()
        try:
            outcome = scenario()
        except MashError as exc:
            outcome = failed(name, f"{FAILED}{exc}")
        self.loads[name] = {"start": start, "end": load_avg()}
        self.outcomes[name] = outcome

    def skip(self, name: str, reason: str) -> None:
        self.outcomes[name] = failed(name, reason)


def run_bench(config: BenchConfig, tracker: Tracker) -> dict[str, Any]:
    """Run every scenario ``config`` selects; the JSON document of the run."""
    from mash.avro.registry import Registry
    from mash.bench.dataset import build_dataset

    started_at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    began = time.perf_counter()
    machine = machine_info()
    run = Run()
    registry = Registry.default()
    data = build_dataset(config.sizes, config.seed, registry, tracker)
    _offline(config, data, run, tracker)
    extra: dict[str, Any] = {}
    if config.needs_broker:
        extra = _against_broker(config, data, registry, run, tracker)
    settings = {
        **asdict(config.sizes),
        "quick": config.quick,
        "workers": config.workers,
        "partitions": config.partitions,
        "seed": config.seed,
        "only": sorted(config.only),
        "topic_prefix": config.prefix,
        "people_generated": len(data.records),
        **extra,
    }
    return document(
        machine=machine,
        config=settings,
        scenarios=run.outcomes,
        loads=run.loads,
        duration_s=time.perf_counter() - began,
        started_at=started_at,
    )


def _offline(config: BenchConfig, data: Any, run: Run, tracker: Tracker) -> None:
    from mash.bench.offline import route_scenario, sink_scenario

    if not (config.runs("route") or config.runs("sink")):
        return
    decisions: list[DecisionRecord] = []

    def route() -> Outcome:
        outcome, kept = route_scenario(data, config.sizes.referrals, config.sizes.sink, tracker)
        decisions.extend(kept)
        return outcome

    if config.runs("route"):
        run.measure("route", route)
    else:  # the sink still needs real decisions to append
        route_scenario(data, config.sizes.sink, config.sizes.sink, tracker)[1]
    if config.runs("sink"):
        run.measure("sink", lambda: sink_scenario(decisions, config.postgres_url, tracker))


def _against_broker(
    config: BenchConfig, data: Any, registry: Any, run: Run, tracker: Tracker
) -> dict[str, Any]:
    from mash.bench.baseline import baseline_scenario
    from mash.bench.kafka_io import delete_prefixed
    from mash.bench.stream import run_stream
    from mash.bench.workers import worker_available
    from mash.broker.topics import create_topics
    from mash.topics import Topics

    extra: dict[str, Any] = {}
    worker_reason = worker_available() if config.needs_worker else None
    tracker.stage("create topics", None)
    try:
        create_topics(config.bootstrap, Topics(config.prefix), config.partitions)
        if config.runs("baseline"):
            run.measure("baseline", lambda: baseline_scenario(config, data, tracker))
        selected = [name for name in WORKER_SCENARIOS if config.runs(name)]
        if worker_reason is not None:
            for name in selected:
                run.skip(name, worker_reason)
        elif selected:
            with tempfile.TemporaryDirectory(prefix="mash-bench-home-") as home:
                try:
                    extra["worker_start"] = run_stream(
                        config, data, registry, Path(home), tracker, run.measure
                    )
                except MashError as exc:
                    for name in selected:
                        if name not in run.outcomes:
                            run.skip(name, f"{FAILED}{exc}")
    finally:
        tracker.stage("delete the run's topics", None)
        extra["topics_deleted"] = len(delete_prefixed(config.bootstrap, config.prefix))
    return extra
