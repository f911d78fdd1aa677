"""Scenario 1, the yardstick: how fast this machine's broker and Python Kafka client move the
same Avro referral bytes from one topic to another with no work in between (consume, produce
with acks=all, nothing decoded). The stream's throughput is read as a share of this."""

from __future__ import annotations

import itertools
import time

from mash.bench.config import BenchConfig
from mash.bench.dataset import Dataset
from mash.bench.kafka_io import create_extra_topics, make_producer, pass_through, publish
from mash.bench.progress import Tracker
from mash.bench.report import Outcome


def passthrough_topics(prefix: str) -> tuple[str, str]:
    """The input and output topics of the pass-through (under the run's prefix)."""
    return f"{prefix}bench.passthrough.in", f"{prefix}bench.passthrough.out"


def baseline_scenario(config: BenchConfig, data: Dataset, tracker: Tracker) -> Outcome:
    """Fill the input topic (untimed), then time moving every message to the output."""
    count = config.sizes.baseline
    source, target = passthrough_topics(config.prefix)
    create_extra_topics(config.bootstrap, [source, target], config.partitions)
    messages = [
        (source, key, value)
        for _, key, value in itertools.islice(itertools.cycle(data.messages), count)
    ]
    tracker.stage("baseline: fill input topic", count)
    producer = make_producer(config.bootstrap)
    try:
        publish(producer, messages, tracker)
    finally:
        producer.close()
    tracker.stage("baseline: consume -> produce", count)
    started = time.perf_counter()
    seconds = pass_through(
        config.bootstrap, source, target, count, tracker, timeout_s=120 + count / 500
    )
    elapsed = time.perf_counter() - started
    size = sum(len(value) for _, _, value in messages) / max(1, len(messages))
    return Outcome(
        figures={"baseline_msgs_per_s": round(count / seconds, 1)},
        detail={
            "messages": count,
            "mean_bytes": round(size),
            "seconds": round(seconds, 3),
            "with_setup_s": round(elapsed, 3),
            "partitions": config.partitions,
            "client": "kafka-python consumer -> producer (acks=all)",
        },
    )
