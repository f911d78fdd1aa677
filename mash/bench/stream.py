"""The scenarios that run ``mash worker``: end-to-end throughput, latency at a fixed rate,
restart time with the record tables full, and the worker's peak memory.

One :class:`StreamRun` per benchmark run: it publishes the records the referrals need, starts
the worker(s) with the run's topic prefix and waits until they route (a probe referral's
decisions appear), then runs the scenarios in order and always stops its workers.

Progress is read from end offsets (see :mod:`mash.bench.kafka_io`): a referral is done when
its children's decisions are on ``mash.decisions`` *and* on the routed queues.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from mash.avro.registry import Registry
from mash.bench.config import BenchConfig
from mash.bench.dataset import Dataset, Message
from mash.bench.kafka_io import (
    EndOffsets,
    Outgoing,
    make_producer,
    publish,
    publish_at_rate,
    read_from,
)
from mash.bench.progress import Tracker
from mash.bench.report import Outcome, latency_summary
from mash.bench.workers import WorkerPool
from mash.errors import BrokerError
from mash.topics import Topics

RECORDS_WAIT_S: Final = 1800.0
"""How long a worker may take to load the record tables before it routes anyway: long, so
that the restart figure is the time to route *with* every record, never a fall-back."""
START_TIMEOUT_S: Final = 300.0


@dataclass(frozen=True)
class Waited:
    """How a wait for decisions ended."""

    done: bool
    seconds: float
    decisions: int
    queued: int


class StreamRun:
    """Workers, topics and offsets of one run's stream scenarios (see the module docstring)."""

    def __init__(
        self, config: BenchConfig, data: Dataset, registry: Registry, home: Path, tracker: Tracker
    ) -> None:
        self.config = config
        self.data = data
        self.registry = registry
        self.tracker = tracker
        self.topics = Topics(config.prefix)
        self.pool = WorkerPool(config.bootstrap, config.prefix, home)
        self.producer = make_producer(config.bootstrap)
        self.offsets = EndOffsets(config.bootstrap, [self.topics.decisions, *self.topics.queues()])
        sizes = config.sizes
        self.latency_range = (sizes.referrals, sizes.referrals + sizes.latency_referrals)
        probes = range(self.latency_range[1], len(data.messages))
        self.probes = [i for i in probes if data.children[i] > 0]
        self.records_published = 0

    # ------------------------------------------------------------------ plumbing

    def _referrals(self, messages: list[Message]) -> list[Outgoing]:
        return [(self.topics.referrals(agency), key, value) for agency, key, value in messages]

    def _records(self, start: int, stop: int) -> list[Outgoing]:
        return [
            (self.topics.records(kind), key, value)
            for kind, key, value in self.data.records[start:stop]
        ]

    def _counts(self) -> tuple[int, int]:
        """(decisions, queued work items) written so far."""
        by_partition = self.offsets.by_partition()
        decisions = sum(n for tp, n in by_partition.items() if tp.topic == self.topics.decisions)
        return decisions, sum(by_partition.values()) - decisions

    def _wait(
        self, base: tuple[int, int], expected: int, timeout_s: float, started: float
    ) -> Waited:
        """Wait until ``expected`` more decisions and work items than ``base`` exist."""
        deadline = time.monotonic() + timeout_s
        shown = 0
        while True:
            decisions, queued = self._counts()
            done_d, done_q = decisions - base[0], queued - base[1]
            progress = min(done_d, done_q, expected)
            self.tracker.advance(progress - shown)
            shown = progress
            if done_d >= expected and done_q >= expected:
                return Waited(True, time.perf_counter() - started, done_d, done_q)
            if time.monotonic() > deadline or not self.pool.any_alive():
                return Waited(False, time.perf_counter() - started, done_d, done_q)
            time.sleep(0.05)

    def _publish_records(self, stop: int, label: str) -> None:
        start = self.records_published
        if stop <= start:
            return
        self.tracker.stage(label, stop - start)
        publish(self.producer, self._records(start, stop), self.tracker)
        self.records_published = stop

    def _start_workers(self, name: str) -> None:
        for number in range(self.config.workers):
            self.pool.start(f"{name}-{number}", RECORDS_WAIT_S)

    def _probe(self, label: str) -> Waited:
        """Publish one spare referral and wait for its decisions: proof the workers route."""
        if not self.probes:
            raise BrokerError("no probe referral left to see the worker route")
        index = self.probes.pop(0)
        base = self._counts()
        started = time.perf_counter()
        self.tracker.stage(label, self.data.children[index])
        publish(self.producer, self._referrals(self.data.messages[index : index + 1]), self.tracker)
        return self._wait(
            base, self.data.children[index], START_TIMEOUT_S + RECORDS_WAIT_S, started
        )

    def _failed(self, what: str) -> BrokerError:
        tail = self.pool.log_tail(5).replace("\n", " | ")
        return BrokerError(f"{what}; last worker log lines: {tail or '(none)'}")

    # ------------------------------------------------------------------ scenarios

    def start(self) -> dict[str, Any]:
        """Publish the records the referrals need, start the workers, wait for a probe."""
        self._publish_records(self.data.base_records, "publish records")
        self._start_workers("worker")
        waited = self._probe("start worker, wait for routing")
        if not waited.done:
            raise self._failed("the worker did not start routing")
        return {"records": self.data.base_records, "first_routing_s": round(waited.seconds, 1)}

    def end_to_end(self) -> Outcome:
        """Scenario 2: publish the referrals as fast as the client can, until every child's
        decision is on mash.decisions and on its queue."""
        messages, children = self.data.slice(0, self.config.sizes.referrals)
        referrals = len(messages)
        outcome = Outcome(
            detail={
                "referrals": referrals,
                "children": children,
                "workers": self.config.workers,
                "partitions": self.config.partitions,
            }
        )
        base = self._counts()
        self.tracker.stage("end-to-end: publish", referrals)
        started = time.perf_counter()
        publish(self.producer, self._referrals(messages), self.tracker)
        outcome.detail["publish_s"] = round(time.perf_counter() - started, 2)
        self.tracker.stage("end-to-end: route", children)
        waited = self._wait(base, children, 120 + referrals / 100, started)
        outcome.detail.update(
            seconds=round(waited.seconds, 2), decisions=waited.decisions, queued=waited.queued
        )
        if not waited.done:
            reason = (
                f"incomplete: {waited.decisions} of {children} decisions after "
                f"{waited.seconds:.0f} s"
            )
            outcome.fail("e2e_referrals_per_s", reason)
            outcome.fail("e2e_children_per_s", reason)
            return outcome
        outcome.figures["e2e_referrals_per_s"] = round(referrals / waited.seconds, 1)
        outcome.figures["e2e_children_per_s"] = round(children / waited.seconds, 1)
        return outcome

    def latency(self) -> Outcome:
        """Scenario 3: publish at a fixed rate; latency is each routed work item's timestamp
        (when the worker produced it) minus its referral's (when the agency produced it, which
        the decision carries as ``received_at``)."""
        start, stop = self.latency_range
        messages, children = self.data.slice(start, stop)
        rate = self.config.sizes.rate
        outcome = Outcome(
            detail={"referrals": len(messages), "children": children, "rate_per_s": rate}
        )
        queue_starts = {
            tp: offset
            for tp, offset in self.offsets.by_partition().items()
            if tp.topic != self.topics.decisions
        }
        base = self._counts()
        self.tracker.stage(f"latency at {rate}/s", len(messages))
        paced = make_producer(self.config.bootstrap, linger_ms=0)
        try:
            started = time.perf_counter()
            achieved = publish_at_rate(paced, self._referrals(messages), rate, self.tracker)
        finally:
            paced.close()
        outcome.detail["achieved_rate_per_s"] = round(achieved, 1)
        self.tracker.stage("latency: wait for the queues", children)
        waited = self._wait(base, children, 120, started)
        items = read_from(self.config.bootstrap, queue_starts, children, 120)
        latencies = [latency for item in items if (latency := self._latency_ms(item)) is not None]
        outcome.detail["measured"] = len(latencies)
        if not waited.done or not latencies:
            outcome.fail(
                "latency_ms", f"incomplete: {len(latencies)} of {children} work items read back"
            )
            return outcome
        outcome.figures["latency_ms"] = latency_summary(latencies)
        return outcome

    def _latency_ms(self, item: Any) -> float | None:
        decision = self.registry.decode(item.value, "decision")
        received = decision.get("received_at")
        if not isinstance(received, datetime) or item.timestamp is None:
            return None
        return float(item.timestamp - round(received.timestamp() * 1000))

    def restart(self) -> Outcome:
        """Scenario 6: stop the workers, fill the record tables to the run's people, then
        time from starting a worker until it routes again (start-up, joining the group,
        reading every record, routing the referral waiting for it)."""
        self.pool.peak_rss_mb()
        self.pool.stop_all()
        self._publish_records(len(self.data.records), "fill record tables")
        people = self.records_published
        base = self._counts()
        index = self.probes.pop(0) if self.probes else None
        if index is None:
            raise BrokerError("no probe referral left for the restart")
        publish(self.producer, self._referrals(self.data.messages[index : index + 1]), self.tracker)
        self.tracker.stage(f"restart with {people:,} people", self.data.children[index])
        started = time.perf_counter()
        self._start_workers("restart")
        waited = self._wait(
            base, self.data.children[index], START_TIMEOUT_S + RECORDS_WAIT_S, started
        )
        outcome = Outcome(
            detail={
                "people": people,
                "workers": self.config.workers,
                "seconds": round(waited.seconds, 2),
            }
        )
        if not waited.done:
            outcome.fail("restart_s", f"no routing {waited.seconds:.0f} s after the restart")
            return outcome
        outcome.figures["restart_s"] = round(waited.seconds, 2)
        return outcome

    def peak_memory(self) -> Outcome:
        """Scenario 7: the highest ``VmHWM`` of any worker of the run."""
        peak = self.pool.peak_rss_mb()
        outcome = Outcome(
            detail={"people": self.records_published, "workers_started": len(self.pool.started)}
        )
        if peak is None:
            outcome.fail("worker_peak_rss_mb", "no worker memory readable (/proc)")
        else:
            outcome.figures["worker_peak_rss_mb"] = peak
        return outcome

    def close(self) -> None:
        """Stop every worker this run started, and the clients."""
        self.pool.stop_all()
        self.producer.close()
        self.offsets.close()


def run_stream(
    config: BenchConfig,
    data: Dataset,
    registry: Registry,
    home: Path,
    tracker: Tracker,
    measure: Callable[[str, Callable[[], Outcome]], None],
) -> dict[str, Any]:
    """Run the selected stream scenarios in order; ``measure(name, scenario)`` records each
    with the load around it. Workers are always stopped. Returns how the workers started."""
    stream = StreamRun(config, data, registry, home, tracker)
    try:
        detail = stream.start()
        if config.runs("e2e"):
            measure("e2e", stream.end_to_end)
        if config.runs("latency"):
            measure("latency", stream.latency)
        if config.runs("restart"):
            measure("restart", stream.restart)
        if config.runs("rss"):
            measure("rss", stream.peak_memory)
        tracker.stage("stop workers", None)
    finally:
        stream.close()
    return detail
