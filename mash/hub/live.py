"""The board's live view: a ledger kept current by a background reader thread.

Web requests and the reader share one :class:`Ledger`; every access goes through a lock, and
readers get computed results rather than the ledger itself, so a page never sees half an
update.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from typing import TypeVar

from mash.deadletters.live import DeadLetterFeed, LiveDeadLetters
from mash.hub.kafka_io import fold_message, follow_topics
from mash.hub.model import HubEvent
from mash.hub.queues import Ledger
from mash.retry import Sleep, Stopped, retry_until_hub_topics_are_readable, until_set
from mash.topics import Topics

T = TypeVar("T")
log = logging.getLogger(__name__)


class LiveLedger:
    """A :class:`Ledger` shared between threads."""

    def __init__(self, ledger: Ledger | None = None) -> None:
        self._ledger = ledger or Ledger()
        self._lock = threading.Lock()
        self.caught_up = threading.Event()
        self.deadletters = LiveDeadLetters()
        """The dead-letter queue, fed by the same :class:`TopicFeed` (:mod:`mash.deadletters`)."""

    def read(self, fn: Callable[[Ledger], T]) -> T:
        """Compute something from the ledger under the lock."""
        with self._lock:
            return fn(self._ledger)

    def write(self, fn: Callable[[Ledger], T]) -> T:
        """Change the ledger under the lock."""
        with self._lock:
            return fn(self._ledger)

    def apply_all(self, events: list[HubEvent]) -> None:
        """Apply events this process just published, before the reader sees them come back."""
        self.write(lambda ledger: [ledger.apply(e) for e in events])


class TopicFeed:
    """A daemon thread that follows the hub's topics into a :class:`LiveLedger`, and a second
    one for the dead-letter topics once the queues have caught up (:class:`DeadLetterFeed`)."""

    def __init__(
        self, bootstrap: str, topics: Topics, live: LiveLedger, *, wait: Sleep | None = None
    ) -> None:
        """``wait`` pauses between retries; the default ends early when the feed is stopped."""
        self._bootstrap = bootstrap
        self._topics = topics
        self._live = live
        self._stop = threading.Event()
        self._wait = wait or until_set(self._stop)
        self._thread = threading.Thread(target=self._run, name="mash-board-feed", daemon=True)
        self._deadletters = DeadLetterFeed(
            bootstrap, topics, live.deadletters, after=live.caught_up
        )

    def _handle(self, topic: str, payload: bytes) -> None:
        self._live.write(lambda ledger: fold_message(ledger, self._topics, topic, payload))

    def _run(self) -> None:
        """Follow the topics; after a broker outage, read them again from the beginning.

        Re-reading is safe: the ledger drops what it has already seen (by decision and event
        id), so the board simply catches up.
        """
        names = [*self._topics.queues(), self._topics.overrides, self._topics.decisions]
        follow = retry_until_hub_topics_are_readable(log, self._wait)
        with contextlib.suppress(Stopped):
            follow(
                follow_topics,
                self._bootstrap,
                names,
                self._handle,
                self._stop,
                self._live.caught_up,
            )

    def start(self) -> None:
        self._thread.start()
        self._deadletters.start()

    def stop(self) -> None:
        self._stop.set()
        self._deadletters.stop()
        self._thread.join(timeout=10)
