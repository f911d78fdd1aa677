"""Waiting out outages: every retry loop of the broker, on one library (tenacity).

Four loops, each named for what it waits for, each keeping the timings it was tuned with:

- :func:`retry_until_database_and_broker_are_back` (the decision-log sink): ``AuditError``
  and ``BrokerError`` from its database and its dead-letter producer; 0.5 s, doubling to 30 s.
- :func:`retry_until_broker_acknowledges` (a worker step): the messages the broker did not
  acknowledge, sent again; 0.5 s, doubling to 10 s.
- :func:`retry_until_hub_topics_are_readable` (the board's feed): ``MashError``; every 5 s.
- :func:`retry_until_record_topics_are_readable` (a worker's record feed): any ``Exception``
  of one step; every 1 s.

Why forever: a referral or a decision is never dropped because a broker or database is down;
the process pauses, says so in its log, and resumes where it was. A loop ends early only when
its owner is stopping: the wait between attempts raises :class:`Stopped` (see
:func:`until_set`). Log lines carry counts, topic names, error types and project errors (which
name ids, never personal data), never message content.

Why tenacity: a custom wait is part of its API (``sleep=``), so tests pass one that records the
delay and returns at once, and nothing waits in real time for a backoff; its waits are exact
(no jitter), which keeps the tuned timings above. A policy object keeps the state of the call
it runs: make one per call (they are cheap), never share one between concurrent calls.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_never,
    wait_exponential,
    wait_fixed,
)
from tenacity.wait import wait_base

from mash.errors import AuditError, BrokerError, MashError

Sleep = Callable[[float], None]
AsyncSleep = Callable[[float], Awaitable[None]]

DATABASE_FIRST_S = 0.5
DATABASE_MAX_S = 30.0
ACK_FIRST_S = 0.5
ACK_MAX_S = 10.0
HUB_TOPICS_S = 5.0
RECORD_TOPICS_S = 1.0


class Stopped(Exception):
    """The owner asked to stop while a loop waited to try again: nothing more is attempted."""


class Unacknowledged(Exception):
    """Some messages of a batch were not acknowledged by the broker (they are sent again).

    Carries counts, topic names and the first error's type name: never the messages.
    """

    def __init__(self, failed: int, of: int, error: str, topics: Sequence[str]) -> None:
        super().__init__(
            f"{failed} of {of} messages not acknowledged ({error}, to {', '.join(topics)})"
        )
        self.failed = failed
        self.of = of
        self.error = error
        self.topics = tuple(topics)


def until_set(stop: threading.Event) -> Sleep:
    """A wait between attempts that ends early, raising :class:`Stopped`, once ``stop`` is set."""

    def wait(seconds: float) -> None:
        if stop.wait(seconds):
            raise Stopped

    return wait


def _failure(state: RetryCallState) -> BaseException | None:
    return state.outcome.exception() if state.outcome is not None else None


def _forever(
    errors: type[BaseException] | tuple[type[BaseException], ...],
    wait: wait_base,
    sleep: Sleep | AsyncSleep,
    say: Callable[[RetryCallState], None],
) -> dict[str, Any]:
    """The settings every policy here shares: retry ``errors`` until the owner stops the loop
    (never give up on a child's referral or decision), log before each wait."""
    return {
        "retry": retry_if_exception_type(errors),
        "wait": wait,
        "stop": stop_never,
        "sleep": sleep,
        "before_sleep": say,
    }


def retry_until_database_and_broker_are_back(
    what: str, log: logging.Logger, sleep: Sleep
) -> Retrying:
    """The sink's reads and writes: its decision log's database, and the broker it sends dead
    letters to. ``what`` names the operation in the log line (e.g. "appending")."""

    def say(state: RetryCallState) -> None:
        log.warning(
            "%s failed (%s); retrying in %.1fs", what, _failure(state), state.upcoming_sleep
        )

    return Retrying(
        **_forever(
            (AuditError, BrokerError),
            wait_exponential(multiplier=DATABASE_FIRST_S, max=DATABASE_MAX_S),
            sleep,
            say,
        )
    )


def retry_until_broker_acknowledges(log: logging.Logger, sleep: AsyncSleep) -> AsyncRetrying:
    """A worker step's messages, until every one is acknowledged: the step raises
    :class:`Unacknowledged` for the ones that were not, and sends only those again."""

    def say(state: RetryCallState) -> None:
        failure = _failure(state)
        assert isinstance(failure, Unacknowledged)
        log.warning(
            "%d of %d messages not acknowledged (%s, to %s); re-sending in %.1f s",
            failure.failed,
            failure.of,
            failure.error,
            ", ".join(failure.topics),
            state.upcoming_sleep,
        )

    return AsyncRetrying(
        **_forever(
            Unacknowledged, wait_exponential(multiplier=ACK_FIRST_S, max=ACK_MAX_S), sleep, say
        )
    )


def retry_until_hub_topics_are_readable(log: logging.Logger, sleep: Sleep) -> Retrying:
    """The board's feed of the queue, override and decision topics, after a broker outage."""

    def say(state: RetryCallState) -> None:
        log.error(
            "board feed interrupted (%s); retrying in %ss",
            _failure(state),
            f"{state.upcoming_sleep:g}",
        )

    return Retrying(**_forever(MashError, wait_fixed(HUB_TOPICS_S), sleep, say))


def retry_until_record_topics_are_readable(log: logging.Logger, sleep: AsyncSleep) -> AsyncRetrying:
    """One step of a worker's record feed: a broker hiccup (or any error) must not end the
    feed. Only the error's type is logged: a record's fields may be in its message.
    Cancellation is not an ``Exception`` and is never retried."""

    def say(state: RetryCallState) -> None:
        log.warning("record feed: %s; retrying", type(_failure(state)).__name__)

    return AsyncRetrying(**_forever(Exception, wait_fixed(RECORD_TOPICS_S), sleep, say))
