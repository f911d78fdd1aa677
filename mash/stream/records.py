"""The cross-agency records every worker needs: all partitions of the four compacted
``mash.records.*`` topics, read into the in-memory :class:`~mash.domain.records.RecordIndex`.

Why not a Faust ``GlobalTable`` (measured on Kafka 4.1.1 with faust-streaming 0.15.3, see
:mod:`mash.stream`): a GlobalTable whose changelog is an existing topic hangs the group leader
in partition assignment (the assignor looks the changelog up under Faust's own
``<app>-<table>-changelog`` name), and with that patched away, a second worker joining stops
both workers applying live updates to the table (the standby bug of faust-streaming issues
#212 and #283). Identity lookup is not keyed by the referral, so every worker needs every
record: a plain consumer *without* a consumer group, assigned every partition, is exactly
that, and is one small service rather than a framework feature fighting its design.

Why no on-disk store (rocksdict): lookups must be microseconds, so the index lives in memory
whatever backs it, and rebuilding it from a local RocksDB costs the same Avro decoding as
re-reading the compacted topics from the broker (the topics *are* the durable store). A local
copy would also be one more place holding personal data that an erasure (a tombstone) must
reach.

Availability: at start the feed notes each partition's end offset; a kind becomes available
(the router's ``lookup.available(kind)``) only when every partition of its topic has been
read up to that offset. Until then its checks are UNAVAILABLE, which fails upward. After that
the feed keeps following the topics, so record updates and erasures apply within a poll.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from mode import Service

from mash.domain.records import RECORD_KINDS, RecordIndex, RecordKind
from mash.kafka import clients
from mash.retry import AsyncSleep, Stopped, retry_until_record_topics_are_readable
from mash.stream.messages import Incoming, Outgoing, as_headers
from mash.topics import Topics

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import ConsumerRecord, TopicPartition

log = logging.getLogger(__name__)

Apply = Callable[[RecordKind, Incoming], list[Outgoing]]
Deliver = Callable[[Sequence[Outgoing]], Awaitable[None]]


def incoming_record(message: ConsumerRecord[Any, Any]) -> Incoming:
    """An aiokafka record as an :class:`Incoming` value."""
    return Incoming(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        timestamp_ms=message.timestamp,
        headers=as_headers(message.headers),
    )


class RecordFeed(Service):
    """Follows every partition of the record topics and keeps ``index`` current.

    ``apply`` handles one message (normally :meth:`mash.stream.pipeline.Pipeline.record`
    bound to the index) and returns dead letters for the unreadable ones, which ``deliver``
    sends; a bad record never stops the feed.
    """

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        index: RecordIndex,
        apply: Apply,
        deliver: Deliver,
        *,
        poll_ms: int = 200,
        max_records: int = 10_000,
        wait: AsyncSleep | None = None,
        **kwargs: Any,
    ) -> None:
        """``wait`` pauses between failed steps (default: the service's own sleep, which a
        stop cuts short); tests pass one that returns at once."""
        super().__init__(**kwargs)
        self._wait: AsyncSleep = wait or self.sleep
        self.bootstrap = bootstrap
        self.index = index
        self._apply = apply
        self._deliver = deliver
        self._poll_ms = poll_ms
        self._max_records = max_records
        self._kinds = {topics.records(kind): kind for kind in RECORD_KINDS}
        self._consumer: AIOKafkaConsumer | None = None
        self._targets: dict[TopicPartition, int] = {}
        self._loading: dict[RecordKind, set[TopicPartition]] = {}
        self._ready = asyncio.Event()

    # ------------------------------------------------------------------ start and stop

    async def on_start(self) -> None:
        self._consumer = clients.aio_consumer(
            self.bootstrap,
            group_id=None,  # no group: this worker reads every partition, and commits nothing
            client_id="mash-records",
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # an agency's aborted writes never count
        )
        await self._consumer.start()
        await self._assign(self._consumer)

    async def on_stop(self) -> None:
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None

    async def _assign(self, consumer: AIOKafkaConsumer) -> None:
        from aiokafka.structs import TopicPartition

        found = await self._partitions()
        by_kind: dict[RecordKind, list[TopicPartition]] = {}
        for topic, kind in self._kinds.items():
            partitions = found.get(topic)
            if not partitions:
                log.warning(
                    "record topic %s does not exist: %s checks stay UNAVAILABLE", topic, kind
                )
                continue
            by_kind[kind] = [TopicPartition(topic, p) for p in sorted(partitions)]
        assigned = [tp for tps in by_kind.values() for tp in tps]
        if not assigned:
            return
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        self._targets = dict(await consumer.end_offsets(assigned))
        self._loading = {kind: set(tps) for kind, tps in by_kind.items()}
        await self._mark_loaded()

    async def _partitions(self) -> dict[str, list[int]]:
        """The partitions of each record topic that exists (asked of the admin API: the
        consumer only learns of topics it is already assigned). Every topic is described,
        not just ours: naming a missing topic in a metadata request makes a broker with
        auto-creation on create it, with the wrong partitions and no compaction."""
        admin = clients.aio_admin(self.bootstrap, client_id="mash-records")
        await admin.start()
        try:
            described = await admin.describe_topics(None)
        finally:
            await admin.close()
        return {
            entry["topic"]: [p["partition"] for p in entry["partitions"]]
            for entry in described
            if entry.get("error_code") == 0 and entry["topic"] in self._kinds
        }

    # ------------------------------------------------------------------ the loop

    @Service.task
    async def _follow(self) -> None:
        with contextlib.suppress(Stopped):
            while not self.should_stop:
                consumer = self._consumer
                if consumer is None:
                    await self.sleep(self._poll_ms / 1000)
                    continue
                # The feed must outlive a broker hiccup: a failed step is logged and tried again.
                step = retry_until_record_topics_are_readable(log, self._pause)
                await step(self._step, consumer)

    async def _pause(self, seconds: float) -> None:
        """The wait between failed steps: ends early, with :class:`Stopped`, on stop."""
        await self._wait(seconds)
        if self.should_stop:
            raise Stopped

    async def _step(self, consumer: AIOKafkaConsumer) -> None:
        batches = await consumer.getmany(timeout_ms=self._poll_ms, max_records=self._max_records)
        dead: list[Outgoing] = []
        for tp, messages in batches.items():
            kind = self._kinds[tp.topic]
            for message in messages:
                dead += self._apply(kind, incoming_record(message))
        if dead:
            await self._deliver(dead)
        if self._loading:
            await self._mark_loaded()

    async def _mark_loaded(self) -> None:
        """Make every kind whose partitions have all reached their start-up end offsets
        available."""
        consumer = self._consumer
        assert consumer is not None
        for kind, partitions in list(self._loading.items()):
            for tp in list(partitions):
                if await consumer.position(tp) >= self._targets[tp]:
                    partitions.discard(tp)
            if not partitions:
                del self._loading[kind]
                self.index.mark_available(kind)
                log.info("%s records loaded: %d people", kind, self.index.count(kind))
        if all(self.index.available(kind) for kind in RECORD_KINDS):
            self._ready.set()

    # ------------------------------------------------------------------ readiness

    @property
    def ready(self) -> bool:
        """True once every kind has been loaded."""
        return self._ready.is_set()

    async def wait_ready(self, timeout_s: float) -> bool:
        """Wait until every kind is loaded or ``timeout_s`` has passed; True if loaded."""
        if self._ready.is_set():
            return True
        try:
            await asyncio.wait_for(self._ready.wait(), timeout_s)
        except TimeoutError:
            missing = [kind for kind in RECORD_KINDS if not self.index.available(kind)]
            log.warning(
                "records not loaded after %.0f s (%s): routing anyway; their checks "
                "are UNAVAILABLE and fail upward",
                timeout_s,
                ", ".join(missing),
            )
            return False
        return True
