"""The worker's per-message logic, as plain functions of values: no Kafka, no Faust, no I/O.

:meth:`Pipeline.ingest` turns one agency message into the messages to send: the canonical
referral, and for each child a work item on its route's queue plus the decision event; or,
when the message cannot be routed, one dead letter carrying the original bytes and the reason.
:meth:`Pipeline.record` applies one message of a compacted ``mash.records.*`` topic to the
in-memory :class:`~mash.domain.records.RecordIndex`.

Neither ever raises for bad input: a message the hub cannot read is dead-lettered and the next
one flows on, so one poison message can never stall a partition. Routing itself never fails a
child (the router turns a rule-engine error into an ENGINE_ERROR decision for assessment).

Routing happens inline, right after normalising, rather than in a second agent consuming
``mash.referrals.canonical``: a second hop would double the broker traffic and add a produce,
a consume and an Avro decode per referral on a machine where every core counts, and add its
latency to every decision. The canonical topic is still written, as the hub's normalised record
of what each agency sent, for replay and for other consumers.
"""

from __future__ import annotations

import logging
import os
import socket
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

from mash.agencies import to_referral
from mash.avro.canonical import encode_referral
from mash.avro.decision import encode_decision
from mash.domain.clocks import Clock, SystemClock
from mash.domain.decision import decision_to_dict
from mash.domain.records import RecordIndex, RecordKind, record_from_mapping
from mash.domain.routes import Route
from mash.errors import DecodeError, InvalidRecord, MashError
from mash.stream.messages import Incoming, Outgoing, dead_letter_record, received_at
from mash.topics import Topics

if TYPE_CHECKING:
    from mash.avro.registry import Registry
    from mash.domain.referral import Referral
    from mash.domain.routing import Router

log = logging.getLogger(__name__)

DEADLETTER_SUBJECT: Final = "deadletter"
Stage = Literal["decode", "validate", "route", "record"]
RecordChange = Literal["put", "kept", "removed", "absent"]


def worker_name() -> str:
    """``host/pid``: which worker process dead-lettered a message (no personal data)."""
    return f"{socket.gethostname()}/{os.getpid()}"


def explain(exc: BaseException) -> str:
    """A reason safe for logs and the dead-letter topic.

    Project errors (:mod:`mash.errors`) are written to name ids and fields, never values, so
    their message is kept. Any other exception's message could quote the data that broke it,
    so only its type is kept.
    """
    if isinstance(exc, MashError):
        return str(exc) or type(exc).__name__
    return f"internal error ({type(exc).__name__})"


@dataclass(slots=True)
class Counts:
    """What the worker has done since it started (for the periodic log line: counts only)."""

    referrals: int = 0
    children: int = 0
    records: int = 0
    routes: Counter[str] = field(default_factory=Counter)
    dead_letters: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        routes = ", ".join(f"{route} {self.routes[route]}" for route in Route.ordered())
        dead = sum(self.dead_letters.values())
        return (
            f"referrals {self.referrals}, children {self.children} ({routes}), "
            f"dead letters {dead}, record updates {self.records}"
        )


class Pipeline:
    """Everything the worker does to one message, built once per process.

    The registry's schemas, the compiled rule set (inside ``router``) and the topic names are
    prepared here, once; the per-message path is a decode, a mapping, the router and two
    encodes.
    """

    def __init__(
        self,
        topics: Topics,
        registry: Registry,
        router: Router,
        *,
        worker: str | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.topics = topics
        self.registry = registry
        self.router = router
        self.worker = worker or worker_name()
        self.clock: Clock = clock if clock is not None else SystemClock()
        self.counts = Counts()
        self._canonical = topics.canonical
        self._decisions = topics.decisions
        self._deadletter = topics.deadletter
        self._queues: Mapping[str, str] = {route: topics.queue(route) for route in Route.ordered()}

    # ------------------------------------------------------------------ referrals

    def ingest(self, agency: str, message: Incoming) -> list[Outgoing]:
        """One agency message -> the canonical referral, then a work item and a decision
        event per child; or a single dead letter. Never raises."""
        if message.value is None:
            return [self.dead_letter(message, "decode", DecodeError("empty message (no value)"))]
        try:
            record = self.registry.decode(message.value, agency)
        except Exception as exc:
            return [self.dead_letter(message, "decode", exc)]
        try:
            referral = to_referral(
                agency, record, received_at(message.timestamp_ms, self.clock.now())
            )
        except Exception as exc:
            return [self.dead_letter(message, "validate", exc)]
        try:
            out = self.route(referral)
        except Exception as exc:
            return [self.dead_letter(message, "route", exc)]
        self.counts.referrals += 1
        return out

    def route(self, referral: Referral) -> list[Outgoing]:
        """The canonical referral and, per child, its work item and decision event.

        The work item on ``mash.queue.<route>`` is the full decision (the hub's queues read
        the same Avro as the log), encoded once and sent twice. Both are keyed by the
        decision id, which is deterministic: a replayed referral yields the same ids, and the
        decision log and the queues drop the duplicate.
        """
        key = f"{referral.agency}:{referral.source_id}".encode()
        out = [Outgoing(self._canonical, key, encode_referral(referral, registry=self.registry))]
        routes = []
        for decision in self.router.decide(referral):
            payload = encode_decision(decision_to_dict(decision), registry=self.registry)
            decision_key = decision.decision_id.encode()
            out.append(Outgoing(self._queues[decision.route], decision_key, payload))
            out.append(Outgoing(self._decisions, decision_key, payload))
            routes.append(decision.route)
        self.counts.children += len(routes)
        self.counts.routes.update(routes)
        return out

    # ------------------------------------------------------------------ records

    def record(self, index: RecordIndex, kind: RecordKind, message: Incoming) -> list[Outgoing]:
        """Apply one record-topic message to ``index``; a dead letter if it is unreadable."""
        try:
            apply_record(index, self.registry, kind, message.key, message.value)
        except Exception as exc:
            return [self.dead_letter(message, "record", exc)]
        self.counts.records += 1
        return []

    # ------------------------------------------------------------------ dead letters

    def dead_letter(self, message: Incoming, stage: Stage, exc: BaseException) -> Outgoing:
        """The dead letter for ``message``: original bytes, where from, and why (no values)."""
        reason = explain(exc)
        self.counts.dead_letters[stage] += 1
        log.warning(
            "dead letter: %s[%d]@%d at %s: %s",
            message.topic,
            message.partition,
            message.offset,
            stage,
            reason,
        )
        record = dead_letter_record(message, stage, reason, self.clock.now(), self.worker)
        try:
            value = self.registry.encode(DEADLETTER_SUBJECT, record)
        except MashError:
            # Header names that are not text are the only thing the schema can refuse; keep
            # the message and its bytes, and say that the headers were dropped.
            record["headers"] = []
            record["reason"] = f"{record['reason']} (headers not storable, dropped)"
            value = self.registry.encode(DEADLETTER_SUBJECT, record)
        return Outgoing(self._deadletter, message.key, value)


def apply_record(
    index: RecordIndex,
    registry: Registry,
    kind: RecordKind,
    key: bytes | None,
    value: bytes | None,
) -> RecordChange:
    """Apply one message of a compacted record topic to the index.

    The key is the person's id in the agency's system (the design's "key = the record's own
    id"); a ``None`` value is a tombstone and forgets the person. A record whose key is not its
    own ``person_id`` is refused: a later tombstone (sent by key) could never erase it.

    Raises :class:`~mash.errors.DecodeError` or :class:`~mash.errors.InvalidRecord` (ids and
    field names only) for a message that cannot be applied.
    """
    if key is None:
        raise InvalidRecord(f"{kind} record without a key")
    try:
        person_id = key.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidRecord(f"{kind} record key is not UTF-8") from None
    if value is None:
        return "removed" if index.remove(kind, person_id) else "absent"
    decoded: dict[str, Any] = registry.decode(value, f"records.{kind}")
    record = record_from_mapping(kind, decoded)
    if record.person_id != person_id:
        raise InvalidRecord(
            f"{kind} record {record.person_id}: sent under key {person_id}, not its person_id"
        )
    return "put" if index.put(record) else "kept"
