"""The four retry policies: what each retries, how long it waits, what it logs, how it stops.

Every wait is injected: the tests record the delays and return at once, so nothing here
waits in real time for a backoff, and nothing is timed.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from mash.errors import AuditError, BrokerError, DecodeError
from mash.retry import (
    Stopped,
    Unacknowledged,
    retry_until_broker_acknowledges,
    retry_until_database_and_broker_are_back,
    retry_until_hub_topics_are_readable,
    retry_until_record_topics_are_readable,
    until_set,
)

pytestmark = pytest.mark.timeout(30)
log = logging.getLogger("mash.test.retry")


class Failing:
    """Raises each of ``errors`` in turn, then returns ``result``."""

    def __init__(self, *errors: BaseException, result: object = "done") -> None:
        self.errors = list(errors)
        self.calls = 0
        self.result = result

    def __call__(self) -> object:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result

    async def run(self) -> object:
        return self()


def test_the_sink_waits_out_database_and_broker_errors_doubling_to_30_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits: list[float] = []
    action = Failing(*[AuditError("database is down")] * 7, BrokerError("no broker"))
    policy = retry_until_database_and_broker_are_back("appending", log, waits.append)

    with caplog.at_level(logging.WARNING, logger=log.name):
        assert policy(action) == "done"

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert action.calls == 9
    assert caplog.messages[0] == "appending failed (database is down); retrying in 0.5s"
    assert caplog.messages[-1] == "appending failed (no broker); retrying in 30.0s"


def test_the_sink_policy_does_not_retry_other_errors() -> None:
    waits: list[float] = []
    action = Failing(ValueError("a bug"))
    with pytest.raises(ValueError, match="a bug"):
        retry_until_database_and_broker_are_back("appending", log, waits.append)(action)
    assert (action.calls, waits) == (1, [])


def test_a_set_stop_event_ends_the_wait_with_stopped_and_no_further_attempt() -> None:
    stop = threading.Event()
    stop.set()
    action = Failing(AuditError("database is down"))
    with pytest.raises(Stopped):
        retry_until_database_and_broker_are_back("appending", log, until_set(stop))(action)
    assert action.calls == 1


async def test_the_sender_resends_until_acknowledged_doubling_to_10_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    action = Failing(*[Unacknowledged(2, 3, "KafkaTimeoutError", ["a", "b"])] * 7)
    with caplog.at_level(logging.WARNING, logger=log.name):
        assert await retry_until_broker_acknowledges(log, sleep)(action.run) == "done"

    assert waits == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0]
    assert caplog.messages[0] == (
        "2 of 3 messages not acknowledged (KafkaTimeoutError, to a, b); re-sending in 0.5 s"
    )


async def test_the_sender_policy_retries_nothing_but_unacknowledged_messages() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("no wait expected")

    action = Failing(RuntimeError("a bug"))
    with pytest.raises(RuntimeError):
        await retry_until_broker_acknowledges(log, sleep)(action.run)


def test_the_board_feed_retries_project_errors_every_5_s(
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits: list[float] = []
    action = Failing(BrokerError("no Kafka broker answered"), DecodeError("bad message"))

    with caplog.at_level(logging.ERROR, logger=log.name):
        assert retry_until_hub_topics_are_readable(log, waits.append)(action) == "done"

    assert waits == [5.0, 5.0]
    assert caplog.messages[0] == "board feed interrupted (no Kafka broker answered); retrying in 5s"


def test_the_board_feed_does_not_retry_a_bug() -> None:
    action = Failing(KeyError("x"))
    with pytest.raises(KeyError):
        retry_until_hub_topics_are_readable(log, lambda _: None)(action)


async def test_the_record_feed_retries_any_error_every_second_logging_only_its_type(
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    action = Failing(OSError("connection reset by 10.0.0.7"), ValueError("Jane Doe, 2014-03-01"))
    with caplog.at_level(logging.WARNING, logger=log.name):
        assert await retry_until_record_topics_are_readable(log, sleep)(action.run) == "done"

    assert waits == [1.0, 1.0]
    assert caplog.messages == [
        "record feed: OSError; retrying",
        "record feed: ValueError; retrying",
    ]


async def test_the_record_feed_never_retries_a_cancellation() -> None:
    async def sleep(seconds: float) -> None:
        raise AssertionError("no wait expected")

    action = Failing(asyncio.CancelledError())
    with pytest.raises(asyncio.CancelledError):
        await retry_until_record_topics_are_readable(log, sleep)(action.run)
    assert action.calls == 1
