"""Sending a step's messages and knowing they arrived, before its input may be committed.

At-least-once hangs on one ordering: a referral's offset is committed only after every message
made from it is acknowledged by the broker (``acks=all``). Faust flushes its producer before it
commits, but a flush does not report a batch that *failed*; so each agent step sends all its
messages, waits for every acknowledgement, and re-sends whatever failed, for as long as it
takes (:func:`mash.retry.retry_until_broker_acknowledges`). While it waits the step does not
finish, its input is not acknowledged to Faust and its offsets are not committed: a broker
outage pauses the worker instead of losing a child.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from mode import Service

from mash.kafka import clients
from mash.retry import Unacknowledged, retry_until_broker_acknowledges
from mash.stream.messages import Outgoing

if TYPE_CHECKING:
    from aiokafka import AIOKafkaProducer

log = logging.getLogger(__name__)


class Sender(Protocol):
    """Sends messages and returns only once every one of them is acknowledged."""

    async def send_all(self, messages: Sequence[Outgoing]) -> None: ...


class Producer(Protocol):
    """What the sender needs of a producer: queue one message, get a future of its ack."""

    async def send(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Any]: ...


class ProducerSender:
    """:class:`Sender` over a :class:`Producer` (normally :class:`WorkerProducer`)."""

    def __init__(
        self, producer: Producer, *, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    ) -> None:
        self._producer = producer
        self._sleep = sleep
        self.resent = 0

    async def send_all(self, messages: Sequence[Outgoing]) -> None:
        pending = list(messages)

        async def attempt() -> None:
            nonlocal pending
            failed = await self._send_once(pending)
            if failed:
                self.resent += len(failed)
                topics = sorted({message.topic for message, _ in failed})
                tried, pending = len(pending), [message for message, _ in failed]
                raise Unacknowledged(len(failed), tried, failed[0][1], topics)

        if pending:
            await retry_until_broker_acknowledges(log, self._sleep)(attempt)

    async def _send_once(self, messages: Sequence[Outgoing]) -> list[tuple[Outgoing, str]]:
        """Send each message once; the ones that failed, with the error's type name."""
        futures: list[Awaitable[Any] | None] = []
        failed: list[tuple[Outgoing, str]] = []
        for message in messages:
            try:
                futures.append(await self._producer.send(message.topic, message.key, message.value))
            except Exception as exc:  # refused before it was queued (buffer, metadata, size)
                futures.append(None)
                failed.append((message, type(exc).__name__))
        queued = [(m, f) for m, f in zip(messages, futures, strict=True) if f is not None]
        results = await asyncio.gather(*(f for _, f in queued), return_exceptions=True)
        for (message, _), result in zip(queued, results, strict=True):
            if isinstance(result, BaseException):
                failed.append((message, type(result).__name__))
        return failed


MAX_BATCH_BYTES = 512 * 1024
"""Per-partition batch: a step sends hundreds of ~3.6 KB decisions at once, and aiokafka's
16 KB default would cut them into four-message requests."""


class WorkerProducer(Service):
    """The worker's own aiokafka producer (``acks=all``), started and stopped with the app.

    Why not Faust's ``app.producer``: measured on this machine, a message sent through Faust's
    producer cost several times one sent through aiokafka directly, and each referral sends
    about 3.4 (canonical, one decision and one queue item per child). Faust still consumes
    the ingest topics and commits their offsets; the send-and-confirm ordering of
    :class:`ProducerSender` is the same whichever producer is underneath.
    """

    def __init__(self, bootstrap: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.bootstrap = bootstrap
        self._producer: AIOKafkaProducer | None = None
        self._ready = asyncio.Event()

    async def on_start(self) -> None:
        self._producer = clients.aio_producer(
            self.bootstrap,
            client_id="mash-worker",
            acks="all",
            linger_ms=0,
            max_batch_size=MAX_BATCH_BYTES,
        )
        await self._producer.start()
        self._ready.set()

    async def on_stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def send(self, topic: str, key: bytes | None, value: bytes) -> Awaitable[Any]:
        """Queue one message; the returned future resolves with the broker's ack."""
        await self._ready.wait()  # the ingest loop may start before this service has
        if self._producer is None:
            raise RuntimeError("the worker's producer is stopped")
        return await self._producer.send(topic, value=value, key=key)
