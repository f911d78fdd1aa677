"""The Faust application of ``mash worker``, built by a factory so tests choose its topics.

:func:`create_app` wires the parts together: the Avro registry and the compiled rule set
(loaded once per process), the in-memory record index and the feed that fills it, the
pipeline, one ingest agent per agency topic, and the sender. :func:`run_worker` runs it until
SIGINT/SIGTERM (a graceful stop commits what was processed; a SIGKILL loses nothing either,
see :mod:`mash.stream`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any, cast

from mash.agencies import AGENCIES
from mash.domain.records import RecordIndex
from mash.kafka import clients
from mash.stream.config import WorkerConfig
from mash.stream.ingest import ConsumerFactory, IngestLoop, group_consumer
from mash.stream.pipeline import Pipeline
from mash.stream.records import RecordFeed
from mash.stream.sender import ProducerSender, Sender, WorkerProducer

if TYPE_CHECKING:
    import faust

    from mash.avro.registry import Registry
    from mash.domain.routing import Rules

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StreamApp:
    """A built worker: the Faust app and the parts tests and commands look at."""

    app: faust.App
    config: WorkerConfig
    pipeline: Pipeline
    index: RecordIndex
    feed: RecordFeed | None
    sender: Sender
    ingest: IngestLoop


def worker_settings(config: WorkerConfig, store: str) -> dict[str, Any]:
    """Faust's settings for a worker: at-least-once (see :mod:`mash.stream` for why not
    exactly-once), a short session timeout so a killed worker's partitions move quickly,
    offsets from the start for a new group (a referral published before the first worker
    ran must still be routed), and the web server only on an explicit port. The broker URLs
    and SASL credentials are added by :func:`mash.kafka.clients.faust_app`."""
    return {
        "store": store,
        "processing_guarantee": "at_least_once",
        "datadir": str(config.data_dir),
        "consumer_auto_offset_reset": "earliest",
        "broker_session_timeout": config.session_timeout_s,
        "broker_heartbeat_interval": max(1.0, config.session_timeout_s / 4),
        "broker_commit_interval": config.commit_interval_s,
        "producer_acks": -1,
        "web_enabled": config.web_port is not None,
        "web_port": config.web_port or 6066,
        "web_bind": "127.0.0.1",
        "topic_partitions": 1,  # never used: every topic exists before the worker starts
    }


def create_app(
    config: WorkerConfig,
    *,
    registry: Registry | None = None,
    rules: Rules | None = None,
    sender: Sender | None = None,
    consumer: ConsumerFactory = group_consumer,
    store: str = "memory://",
    follow_records: bool = True,
) -> StreamApp:
    """Build the worker's Faust app for ``config``.

    ``sender`` replaces the Kafka producer (unit tests collect messages in a list);
    ``consumer`` makes the ingest loop's consumer (unit tests hand out batches of their own);
    ``follow_records=False`` leaves out the record feed (unit tests fill the index
    themselves). ``store`` is Faust's table store; the worker keeps no Faust tables (the
    records live in the index), so memory is all it needs.
    """
    from mash.avro.registry import Registry
    from mash.domain.routing import Router
    from mash.rules import load_rules

    registry = registry if registry is not None else Registry.default()
    rule_set = rules if rules is not None else load_rules(config.rules_path)
    index = RecordIndex()
    pipeline = Pipeline(config.topics, registry, Router(rule_set, index, area=config.area))
    # The ingest loop's consumer group is ``config.group``; Faust joins a group of its own
    # (the app id) even with no agents, and two protocols cannot share one group.
    app = clients.faust_app(
        f"{config.group}.app", config.bootstrap, **worker_settings(config, store)
    )
    if sender is None:
        producer = WorkerProducer(config.bootstrap)
        app.service(cast(Any, producer))  # started with the app, stopped with it
        sender = ProducerSender(producer)
    out: Sender = sender

    feed: RecordFeed | None = None
    ready: Callable[[], Awaitable[object]] = _no_wait
    if follow_records:
        feed = RecordFeed(
            config.bootstrap, config.topics, index, partial(pipeline.record, index), out.send_all
        )
        app.service(cast(Any, feed))  # started with the app, stopped with it
        ready = partial(feed.wait_ready, config.records_wait_s)

    agencies = {config.topics.referrals(agency): agency for agency in AGENCIES}
    ingest = IngestLoop(config, agencies, pipeline.ingest, out, ready, consumer=consumer)
    app.service(cast(Any, ingest))  # after the producer and the feed it sends through

    async def started() -> None:
        log.info(
            "worker %s routing %s (topic prefix %r)",
            config.group,
            ", ".join(config.topics.ingest()),
            config.topics.prefix,
        )

    async def report() -> None:
        log.info("worker %s: %s", config.group, pipeline.counts.summary())

    app.task(started)
    app.timer(config.stats_interval_s)(report)
    return StreamApp(app, config, pipeline, index, feed, out, ingest)


async def _no_wait() -> object:
    return True


def run_worker(stream: StreamApp, loglevel: str = "info") -> None:
    """Run the worker in this process until it is stopped (SIGINT/SIGTERM)."""
    from faust.worker import Worker

    stream.config.data_dir.mkdir(parents=True, exist_ok=True)
    worker = Worker(stream.app, loglevel=loglevel, quiet=True)
    # Faust's terminal spinner sets the root logger to DEBUG (it spins on every record), so
    # every debug call of aiokafka and Faust built a log record per message only for the
    # handlers to drop it: about 5% of the worker's CPU, measured with py-spy. No spinner.
    worker.spinner = None
    try:
        worker.execute_from_commandline()
    finally:
        log.info("worker %s stopped: %s", stream.config.group, stream.pipeline.counts.summary())
