"""The ingest loop: read the agency topics in batches, route, send, confirm, then commit.

One consumer in the workers' group reads every agency topic (Kafka splits the partitions
between the workers). Each step takes what has arrived (up to ``batch_size`` messages), turns
every message into outgoing messages with the plain functions of :mod:`mash.stream.pipeline`,
sends them all and waits for every acknowledgement (:class:`~mash.stream.sender.Sender`), and
only then commits the step's offsets. A worker killed at any point therefore loses nothing:
what was not committed is read again, and the copies it sends carry the same decision ids.

Why a plain aiokafka consumer rather than Faust agents (measured with ``mash bench`` and
py-spy on this 2-core machine, see the README's Performance section): Faust hands a batch
over one event at a time through its stream processors, and at 500 referrals/s the agents
received messages 0.7-3 s after they were published while a plain consumer on the same broker
saw them within 5 ms (p50) and 40 ms (p99). The Faust app still runs the worker (its
services, timers, signals and logging); only the hot path reads Kafka directly, as the record
feed (:mod:`mash.stream.records`) already did.

The consumer is a parameter of :class:`IngestLoop` (a factory, :func:`group_consumer` by
default) rather than built inside it: the loop's ordering of acks and commits is the property
that keeps a child from being lost, and a test can only check it with a consumer it controls,
passed in, never patched into a private attribute afterwards.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mode import Service

from mash.kafka import clients
from mash.stream.config import WorkerConfig
from mash.stream.messages import Incoming, Outgoing
from mash.stream.records import incoming_record
from mash.stream.sender import Sender

if TYPE_CHECKING:
    from aiokafka.structs import ConsumerRecord, TopicPartition

log = logging.getLogger(__name__)

Ingest = Callable[[str, Incoming], list[Outgoing]]
Batch = Mapping["TopicPartition", Sequence["ConsumerRecord[Any, Any]"]]
POLL_MS = 100
"""How long one poll waits for a first message; a step never waits to fill up."""


class IngestConsumer(Protocol):
    """What the loop needs of its consumer: the part of aiokafka's ``AIOKafkaConsumer`` it
    calls, so a test's fake need be no more than that."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def getmany(self, *, timeout_ms: int, max_records: int) -> Batch: ...

    async def commit(self, offsets: Mapping[TopicPartition, int]) -> None: ...


ConsumerFactory = Callable[[WorkerConfig, Sequence[str]], IngestConsumer]
"""Makes the loop's consumer of the given agency topics when the loop starts."""


def group_consumer(config: WorkerConfig, topics: Sequence[str]) -> IngestConsumer:
    """The worker's consumer of ``topics`` in the workers' group ``config.group``: offsets
    committed by the loop only, from the start for a new group, committed reads only, and a
    session short enough that a killed worker's partitions move quickly."""
    session_ms = round(config.session_timeout_s * 1000)
    consumer: IngestConsumer = clients.aio_consumer(
        config.bootstrap,
        *topics,
        group_id=config.group,
        client_id="mash-worker",
        enable_auto_commit=False,  # committed by the loop, after the acks
        auto_offset_reset="earliest",  # a referral sent before any worker ran is routed
        isolation_level="read_committed",
        max_poll_records=config.batch_size,
        session_timeout_ms=session_ms,
        heartbeat_interval_ms=max(1000, session_ms // 4),
    )
    return consumer


def route_batch(
    agencies: Mapping[str, str], ingest: Ingest, batch: Batch
) -> tuple[list[Outgoing], dict[TopicPartition, int]]:
    """Everything to send for one polled batch, and the offset to commit per partition.

    ``agencies`` maps each ingest topic to its agency. The committed offset is the one after
    the last message read, as Kafka expects; it may be committed only once everything made
    from the batch is acknowledged.
    """
    out: list[Outgoing] = []
    positions: dict[TopicPartition, int] = {}
    for tp, records in batch.items():
        agency = agencies[tp.topic]
        for record in records:
            out += ingest(agency, incoming_record(record))
        if records:
            positions[tp] = records[-1].offset + 1
    return out, positions


class IngestLoop(Service):
    """The worker's consumer of the agency topics, started and stopped with the app.

    ``ready`` is awaited once before the first poll: the worker waits (for a bounded time)
    for the cross-agency records to load, so a restart does not route children while their
    checks would still read UNAVAILABLE. ``consumer`` makes the consumer of the agency topics
    when the loop starts (default :func:`group_consumer`; tests pass a fake).
    """

    def __init__(
        self,
        config: WorkerConfig,
        agencies: Mapping[str, str],
        ingest: Ingest,
        sender: Sender,
        ready: Callable[[], Awaitable[object]],
        *,
        consumer: ConsumerFactory = group_consumer,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.config = config
        self.agencies = dict(agencies)
        self._ingest = ingest
        self._sender = sender
        self._ready = ready
        self._new_consumer = consumer
        self._consumer: IngestConsumer | None = None

    async def on_start(self) -> None:
        self._consumer = self._new_consumer(self.config, sorted(self.agencies))
        await self._consumer.start()

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()  # commits nothing: only the loop commits
            self._consumer = None

    @Service.task
    async def _routing(self) -> None:
        await self.run()

    async def run(self) -> None:
        """Poll, route, confirm; routing of one batch overlaps the acks of the one before.

        At most one batch is being confirmed while the next is routed, and a batch's offsets
        are committed only after its own acks *and* the previous batch's commit, so the
        committed offset never passes a message whose outputs are unconfirmed.
        """
        await self._ready()
        confirming: asyncio.Task[None] | None = None
        while not self.should_stop and self._consumer is not None:
            batch = await self._consumer.getmany(
                timeout_ms=POLL_MS, max_records=self.config.batch_size
            )
            if not batch:
                continue
            out, positions = route_batch(self.agencies, self._ingest, batch)
            if confirming is not None:
                await confirming  # acks of the previous batch arrived while this one routed
            confirming = asyncio.create_task(self._confirm(out, positions))
        if confirming is not None:
            await confirming

    async def _confirm(self, out: list[Outgoing], positions: dict[TopicPartition, int]) -> None:
        """Send one batch's messages, wait for every ack, then commit its offsets."""
        if out:
            await self._sender.send_all(out)
        await self._commit(positions)

    async def _commit(self, positions: dict[TopicPartition, int]) -> None:
        """Commit after the acks; a rebalance in between only means the batch is read again
        by the partition's new owner (the same decision ids), so it is logged, not raised."""
        from aiokafka.errors import KafkaError

        if not positions or self._consumer is None:
            return
        try:
            await self._consumer.commit(positions)
        except KafkaError as exc:  # CommitFailedError, IllegalStateError (partition moved)
            log.warning(
                "offsets not committed (%s): the batch will be read again", type(exc).__name__
            )
