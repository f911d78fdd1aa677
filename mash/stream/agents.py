"""The Faust agents: thin loops that take a batch of messages, hand each one to the pipeline,
and send what comes back.

One ingest agent per agency topic. Each step takes up to ``batch_size`` messages (or what
arrived within ``within_s``), turns them into outgoing messages with plain functions
(:mod:`mash.stream.pipeline`), and sends them all; ``take_events`` acknowledges the step's
input to Faust only after the step returns, i.e. after the sender has every broker
acknowledgement, so a committed offset never runs ahead of what was published.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from mash.stream.messages import Incoming, Outgoing, as_headers
from mash.stream.sender import Sender

AgentFun = Callable[[Any], Awaitable[None]]
Ingest = Callable[[str, Incoming], list[Outgoing]]


def incoming_message(message: Any) -> Incoming:
    """A Faust ``Message`` (raw key and value bytes) as an :class:`Incoming` value."""
    timestamp = message.timestamp
    return Incoming(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        key=message.key,
        value=message.value,
        timestamp_ms=None if timestamp is None else round(timestamp * 1000),
        headers=as_headers(message.headers),
    )


def ingest_agent(
    agency: str,
    ingest: Ingest,
    sender: Sender,
    ready: Callable[[], Awaitable[object]],
    batch_size: int,
    within_s: float,
) -> AgentFun:
    """The agent function for one agency's topic.

    ``ready`` is awaited once before the first message: the worker waits (for a bounded
    time) for the cross-agency records to load, so a restart does not route children while
    their checks would still read UNAVAILABLE.
    """

    async def route_referrals(stream: Any) -> None:
        await ready()
        async for events in stream.take_events(batch_size, within_s):
            out: list[Outgoing] = []
            for event in events:
                out += ingest(agency, incoming_message(event.message))
            if out:
                await sender.send_all(out)

    route_referrals.__name__ = f"route_{agency}"
    route_referrals.__qualname__ = route_referrals.__name__
    return route_referrals
