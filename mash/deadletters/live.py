"""The board's dead-letter queue: a :class:`DeadLetterQueue` kept current by a reader thread,
and where the board sends what staff do to it.

The feed is started and stopped with the board's queue feed (:class:`mash.hub.live.TopicFeed`)
but reads in a thread of its own, once the queues have caught up: a missing dead-letter topic
or a slow one never holds up the queues, and the queues are on the screen first.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

from mash.deadletters.kafka_io import KafkaOutbox, Record, fold_record, follow_queue
from mash.deadletters.model import DeadLetterQueue, LetterEvent, ReplayMessage
from mash.retry import Sleep, Stopped, retry_until_hub_topics_are_readable, until_set
from mash.topics import Topics

T = TypeVar("T")
log = logging.getLogger(__name__)


class Outbox(Protocol):
    """Where replays and staff events go (Kafka in production, a list in tests)."""

    def replay(self, message: ReplayMessage) -> None: ...

    def publish(self, events: list[LetterEvent]) -> None: ...


class LiveDeadLetters:
    """A :class:`DeadLetterQueue` shared between threads, and its :class:`Outbox` (None until
    a feed connects one: the board then refuses to act, in words)."""

    def __init__(self, queue: DeadLetterQueue | None = None) -> None:
        self._queue = queue or DeadLetterQueue()
        self._lock = threading.Lock()
        self.caught_up = threading.Event()
        self.outbox: Outbox | None = None

    def read(self, fn: Callable[[DeadLetterQueue], T]) -> T:
        with self._lock:
            return fn(self._queue)

    def write(self, fn: Callable[[DeadLetterQueue], T]) -> T:
        with self._lock:
            return fn(self._queue)

    def apply_all(self, events: list[LetterEvent]) -> None:
        """Apply events this process just published, before the reader sees them come back."""
        self.write(lambda queue: [queue.apply(e) for e in events])


class DeadLetterFeed:
    """A daemon thread that follows the dead-letter topics into a :class:`LiveDeadLetters`,
    after ``after`` is set (the queues have caught up), and a Kafka outbox for it."""

    def __init__(
        self,
        bootstrap: str,
        topics: Topics,
        live: LiveDeadLetters,
        *,
        after: threading.Event | None = None,
        wait: Sleep | None = None,
    ) -> None:
        self._bootstrap = bootstrap
        self._topics = topics
        self._live = live
        self._after = after
        self._stop = threading.Event()
        self._wait = wait or until_set(self._stop)
        self._outbox: KafkaOutbox | None = None
        self._thread = threading.Thread(target=self._run, name="mash-deadletter-feed", daemon=True)

    def _handle(self, record: Record) -> None:
        self._live.write(lambda queue: fold_record(queue, self._topics, record))

    def _run(self) -> None:
        """Wait for the queues, then follow; after a broker outage read again from the start
        (the queue drops what it has seen, by dead-letter id and event id)."""
        while self._after is not None and not self._after.wait(0.5):
            if self._stop.is_set():
                return
        follow = retry_until_hub_topics_are_readable(log, self._wait)
        with contextlib.suppress(Stopped):
            follow(
                follow_queue,
                self._bootstrap,
                self._topics,
                self._handle,
                self._stop,
                self._live.caught_up,
            )

    def start(self) -> None:
        if self._live.outbox is None:
            self._outbox = KafkaOutbox(self._bootstrap, self._topics)
            self._live.outbox = self._outbox
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        if self._outbox is not None:
            self._outbox.close()
