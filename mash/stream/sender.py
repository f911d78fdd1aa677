"""Sending a step's messages and knowing they arrived, before its input may be committed.

At-least-once hangs on one ordering: a referral's offset is committed only after every message
made from it is acknowledged by the broker (``acks=all``). Faust flushes its producer before it
commits, but a flush does not report a batch that *failed*; so each agent step sends all its
messages, waits for every acknowledgement, and re-sends whatever failed, for as long as it
takes. While it waits the step does not finish, its input is not acknowledged to Faust and its
offsets are not committed: a broker outage pauses the worker instead of losing a child.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from mash.stream.messages import Outgoing

log = logging.getLogger(__name__)

RETRY_FIRST_S = 0.5
RETRY_MAX_S = 10.0


class Sender(Protocol):
    """Sends messages and returns only once every one of them is acknowledged."""

    async def send_all(self, messages: Sequence[Outgoing]) -> None: ...


class Producer(Protocol):
    """The part of Faust's producer (``app.producer``) the sender uses."""

    async def send(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        partition: int | None,
        timestamp: float | None,
        headers: Any,
    ) -> Awaitable[Any]: ...


class ProducerSender:
    """:class:`Sender` over Faust's producer (aiokafka underneath, ``acks=all``)."""

    def __init__(self, producer: Callable[[], Producer], *, sleep: Callable[[float], Awaitable[
            None]] = asyncio.sleep) -> None:
        self._producer = producer
        self._sleep = sleep
        self.resent = 0

    async def send_all(self, messages: Sequence[Outgoing]) -> None:
        pending = list(messages)
        delay = RETRY_FIRST_S
        while pending:
            failed = await self._send_once(pending)
            if not failed:
                return
            self.resent += len(failed)
            topics = sorted({message.topic for message, _ in failed})
            log.warning("%d of %d messages not acknowledged (%s, to %s); re-sending in %.1f s",
                        len(failed), len(pending), failed[0][1], ", ".join(topics), delay)
            await self._sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
            pending = [message for message, _ in failed]

    async def _send_once(self, messages: Sequence[Outgoing]) -> list[tuple[Outgoing, str]]:
        """Send each message once; the ones that failed, with the error's type name."""
        producer = self._producer()
        futures: list[Awaitable[Any] | None] = []
        failed: list[tuple[Outgoing, str]] = []
        for message in messages:
            try:
                futures.append(
                    await producer.send(message.topic, message.key, message.value, None, None,
                                        None)
                )
            except Exception as exc:  # refused before it was queued (buffer, metadata, size)
                futures.append(None)
                failed.append((message, type(exc).__name__))
        queued = [(m, f) for m, f in zip(messages, futures, strict=True) if f is not None]
        results = await asyncio.gather(*(f for _, f in queued), return_exceptions=True)
        for (message, _), result in zip(queued, results, strict=True):
            if isinstance(result, BaseException):
                failed.append((message, type(result).__name__))
        return failed
