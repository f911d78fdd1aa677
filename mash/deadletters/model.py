"""Dead letters as work items, what staff do to them, and the queue folded from both (pure).

A dead letter is identified by where its *original* message was read,
``dl:<source topic>:<partition>:<offset>``, so the same message dead-lettered twice (a worker
that crashed before committing) is one piece of work. Only when a dead letter does not say
where it came from (or cannot be read at all) is it identified by its own place on the
dead-letter topic.

States: ``open -> claimed -> replayed | closed`` (``open`` may go straight to ``replayed`` or
``closed``). Replayed and closed are final: a replay that fails again is a *new* dead letter
(a new offset on the source topic), which names the old one in its ``mash-replay-of`` header.

Events arrive in no guaranteed order relative to the dead letters they are about; the queue
keeps early events aside until their dead letter turns up, drops duplicates by ``event_id``,
and skips an event its dead letter's state forbids (the first of two racing claims wins), as
:class:`mash.hub.queues.Ledger` does for work items. Nothing here does I/O.

What is shown (ids, topics, reasons, times, states, owners) never includes the original bytes:
they are kept only to be replayed.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from mash.domain.clocks import WorkingCalendar
from mash.domain.decision import iso_utc as iso
from mash.errors import StateError, UsageError
from mash.hub.sla import format_age
from mash.hub.users import Permission, Staff
from mash.topics import Topics

REPLAY_HEADER = "mash-replay-of"
"""The header a replayed message carries: the id of the dead letter it was replayed from."""

ID_PREFIX = "dl:"
OVERDUE_WORKING_DAYS = 1
"""A dead letter not dealt with by the close of the next working day is overdue (the hub's
"one working day", as in :meth:`WorkingCalendar.working_days_deadline`)."""

Headers = tuple[tuple[str, bytes | None], ...]
NewId = Callable[[], str]


class LetterState(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    REPLAYED = "replayed"
    CLOSED = "closed"


UNRESOLVED: frozenset[LetterState] = frozenset({LetterState.OPEN, LetterState.CLAIMED})
"""Still waiting for a person: counted as open, and can become overdue."""


class LetterAction(StrEnum):
    CLAIM = "CLAIM"
    REPLAY = "REPLAY"
    CLOSE = "CLOSE"


def letter_id(topic: str, partition: int, offset: int) -> str:
    return f"{ID_PREFIX}{topic}:{partition}:{offset}"


@dataclass(frozen=True, slots=True)
class Original:
    """The message as it was read, byte for byte: only ever replayed, never shown."""

    key: bytes | None
    value: bytes | None
    headers: Headers = ()
    timestamp_ms: int | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One dead letter and where staff have got to with it."""

    id: str
    source_topic: str | None
    stage: str
    reason: str
    received: datetime
    """When the hub gave up on the message (the dead letter's own timestamp): age runs from
    here."""
    original: Original | None = field(default=None, repr=False, compare=False)
    """None when the dead letter itself could not be read: nothing to replay."""
    replay_of: str | None = None
    state: LetterState = LetterState.OPEN
    owner: str | None = None
    replayed_at: datetime | None = None
    replayed_by: str | None = None
    closed_at: datetime | None = None
    closed_by: str | None = None
    closed_reason: str | None = None

    @property
    def is_open(self) -> bool:
        return self.state in UNRESOLVED


@dataclass(frozen=True, slots=True)
class LetterEvent:
    """One thing a member of staff did to a dead letter (on ``mash.deadletter.events``)."""

    event_id: str
    letter_id: str
    action: LetterAction
    actor: str
    at: datetime
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "deadletter_id": self.letter_id,
            "action": self.action.value,
            "actor": self.actor,
            "at": iso(self.at),
            "reason": self.reason,
        }


def _header_text(headers: Headers, name: str) -> str | None:
    for key, value in reversed(headers):
        if key == name and value is not None:
            return value.decode("utf-8", "replace")
    return None


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


def letter_from_record(
    record: Mapping[str, Any],
    *,
    topic: str,
    partition: int,
    offset: int,
    timestamp_ms: int | None,
) -> DeadLetter:
    """A dead letter from its Avro form (``deadletter`` subject) and its own place and Kafka
    timestamp on the dead-letter topic."""
    source = record.get("source_topic") or None
    src_partition, src_offset = record.get("partition"), record.get("offset")
    if source and isinstance(src_partition, int) and isinstance(src_offset, int):
        ident = letter_id(source, src_partition, src_offset)
    else:
        ident = letter_id(topic, partition, offset)
    headers: Headers = tuple(
        (str(h.get("key", "")), h.get("value")) for h in record.get("headers") or ()
    )
    original_ts = _time(record.get("timestamp"))
    received = (
        datetime.fromtimestamp(timestamp_ms / 1000, UTC)
        if timestamp_ms is not None and timestamp_ms >= 0
        else _time(record.get("failed_at")) or datetime.fromtimestamp(0, UTC)
    )
    return DeadLetter(
        id=ident,
        source_topic=source,
        stage=str(record.get("stage") or "decode"),
        reason=str(record.get("reason") or "no reason given"),
        received=received,
        original=Original(
            key=record.get("key"),
            value=record.get("value"),
            headers=headers,
            timestamp_ms=int(original_ts.timestamp() * 1000) if original_ts else None,
        ),
        replay_of=_header_text(headers, REPLAY_HEADER),
    )


def unreadable_letter(
    *, topic: str, partition: int, offset: int, timestamp_ms: int | None, why: str
) -> DeadLetter:
    """A message on the dead-letter topic that is not a dead letter: still work for someone
    (it may be the only copy of something), identified by its own place, never replayable."""
    received = datetime.fromtimestamp(max(timestamp_ms or 0, 0) / 1000, UTC)
    return DeadLetter(
        id=letter_id(topic, partition, offset),
        source_topic=None,
        stage="deadletter",
        reason=f"the dead letter itself could not be read ({why})",
        received=received,
    )


# --------------------------------------------------------------------------- transitions


def _refuse(letter: DeadLetter, verb: str) -> StateError:
    by = {
        LetterState.CLAIMED: f" by {letter.owner}",
        LetterState.REPLAYED: f" by {letter.replayed_by}",
        LetterState.CLOSED: f" by {letter.closed_by}",
    }.get(letter.state, "")
    return StateError(f"cannot {verb} dead letter {letter.id}: already {letter.state}{by}")


def apply_event(letter: DeadLetter, event: LetterEvent) -> DeadLetter:
    """The dead letter after ``event``; StateError (or UsageError) when it is not allowed."""
    if event.letter_id != letter.id:
        raise UsageError(f"event {event.event_id} is not about dead letter {letter.id}")
    if event.action is LetterAction.CLAIM:
        if letter.state is not LetterState.OPEN:
            raise _refuse(letter, "claim")
        return dataclasses.replace(letter, state=LetterState.CLAIMED, owner=event.actor)
    if not letter.is_open:
        raise _refuse(letter, event.action.lower())
    if event.action is LetterAction.REPLAY:
        return dataclasses.replace(
            letter,
            state=LetterState.REPLAYED,
            owner=letter.owner or event.actor,
            replayed_at=event.at,
            replayed_by=event.actor,
        )
    reason = close_reason(event.reason)
    return dataclasses.replace(
        letter,
        state=LetterState.CLOSED,
        owner=letter.owner or event.actor,
        closed_at=event.at,
        closed_by=event.actor,
        closed_reason=reason,
    )


def close_reason(reason: str | None) -> str:
    """The reason for closing, trimmed; UsageError without one."""
    if not reason or not reason.strip():
        raise UsageError("closing a dead letter needs a reason (--reason TEXT)")
    return reason.strip()


# --------------------------------------------------------------------------- the queue


@dataclass
class DeadLetterQueue:
    """Every dead letter seen and its current state (pure, no I/O)."""

    letters: dict[str, DeadLetter] = field(default_factory=dict)
    history: dict[str, list[LetterEvent]] = field(default_factory=lambda: defaultdict(list))
    rejected: int = 0
    _seen_events: set[str] = field(default_factory=set)
    _early: dict[str, list[LetterEvent]] = field(default_factory=lambda: defaultdict(list))

    def add_letter(self, letter: DeadLetter) -> bool:
        """Record a dead letter once (the first copy wins); False for a duplicate."""
        if letter.id in self.letters:
            return False
        self.letters[letter.id] = letter
        for event in self._early.pop(letter.id, []):
            self._apply_known(event)
        return True

    def apply(self, event: LetterEvent) -> bool:
        """Apply a staff event; False if it was a duplicate, early, or not allowed."""
        if event.event_id in self._seen_events:
            return False
        self._seen_events.add(event.event_id)
        if event.letter_id not in self.letters:
            self._early[event.letter_id].append(event)
            return False
        return self._apply_known(event)

    def _apply_known(self, event: LetterEvent) -> bool:
        try:
            self.letters[event.letter_id] = apply_event(self.letters[event.letter_id], event)
        except UsageError:  # StateError is one too
            self.rejected += 1
            return False
        self.history[event.letter_id].append(event)
        return True

    def find(self, ref: str) -> DeadLetter:
        """The dead letter whose id is ``ref`` or starts with it (``dl:`` may be left out)."""
        ref = ref.strip()
        if ref and not ref.startswith(ID_PREFIX):
            ref = ID_PREFIX + ref
        if ref in self.letters:
            return self.letters[ref]
        found = [v for k, v in self.letters.items() if k.startswith(ref)] if ref else []
        if not found:
            raise UsageError(f"no dead letter {ref!r}")
        if len(found) > 1:
            raise UsageError(f"{ref!r} matches {len(found)} dead letters: give more of the id")
        return found[0]

    def listed(self, include_resolved: bool = False) -> list[DeadLetter]:
        """Open ones first, oldest first; then (if asked) the replayed and closed ones."""
        chosen = [v for v in self.letters.values() if v.is_open or include_resolved]
        return sorted(chosen, key=lambda v: (not v.is_open, v.received, v.id))


def build_queue(letters: Iterable[DeadLetter], events: Iterable[LetterEvent]) -> DeadLetterQueue:
    queue = DeadLetterQueue()
    for letter in letters:
        queue.add_letter(letter)
    for event in events:
        queue.apply(event)
    return queue


# --------------------------------------------------------------------------- age and overdue


@dataclass(frozen=True)
class OverduePolicy:
    """When an unresolved dead letter becomes overdue: at the close of the ``working_days``-th
    working day after the day it arrived (the hub's working-day clock), or after as many
    whole days of elapsed time when there is no calendar."""

    calendar: WorkingCalendar | None = None
    working_days: int = OVERDUE_WORKING_DAYS

    def due(self, received: datetime) -> datetime:
        if self.calendar is not None:
            return self.calendar.working_days_deadline(received, self.working_days)
        return received + timedelta(days=self.working_days)

    def is_overdue(self, letter: DeadLetter, now: datetime) -> bool:
        return letter.is_open and now > self.due(letter.received)


@dataclass(frozen=True, slots=True)
class LetterRow:
    """One line of the dead-letter queue, ready to print or render (no original bytes)."""

    letter: DeadLetter
    age: str
    age_seconds: int
    due: datetime
    overdue: bool

    @property
    def status(self) -> str:
        """The overdue status in words (never by colour alone)."""
        if not self.letter.is_open:
            return "Dealt with"
        return "Overdue" if self.overdue else "On time"

    def to_json(self) -> dict[str, Any]:
        v = self.letter
        return {
            "id": v.id,
            "source_topic": v.source_topic,
            "stage": v.stage,
            "reason": v.reason,
            "received": iso(v.received),
            "age_seconds": self.age_seconds,
            "due": iso(self.due),
            "overdue": self.overdue,
            "state": v.state.value,
            "owner": v.owner,
            "replay_of": v.replay_of,
            "replayed_at": iso(v.replayed_at) if v.replayed_at else None,
            "replayed_by": v.replayed_by,
            "closed_by": v.closed_by,
            "closed_reason": v.closed_reason,
        }


def letter_row(letter: DeadLetter, now: datetime, policy: OverduePolicy) -> LetterRow:
    ended = letter.replayed_at or letter.closed_at
    age = (now if letter.is_open or ended is None else ended) - letter.received
    return LetterRow(
        letter=letter,
        age=format_age(age),
        age_seconds=max(0, int(age.total_seconds())),
        due=policy.due(letter.received),
        overdue=policy.is_overdue(letter, now),
    )


@dataclass(frozen=True, slots=True)
class Counts:
    """What Prometheus is told: unresolved dead letters, and how many of them are overdue."""

    open: int
    overdue: int


def counts(queue: DeadLetterQueue, now: datetime, policy: OverduePolicy) -> Counts:
    unresolved = [v for v in queue.letters.values() if v.is_open]
    return Counts(len(unresolved), sum(policy.is_overdue(v, now) for v in unresolved))


# --------------------------------------------------------------------------- actions


def authorise(staff: Staff | None, letter: DeadLetter, action: LetterAction) -> None:
    """Refuse what the person's role does not allow (None: no staff file, a trusted CLI).

    Anyone who may claim work (social workers, team managers) may work dead letters: they
    carry no child's details, only where a message came from and why it failed. Auditors only
    look. Replaying or closing a dead letter someone else has claimed is a manager's call.
    """
    if staff is None:
        return
    if not staff.may(Permission.CLAIM):
        raise UsageError(
            f"{staff.username} ({staff.role}) may not {action.lower()} dead letter {letter.id}"
        )
    if (
        action is not LetterAction.CLAIM
        and letter.state is LetterState.CLAIMED
        and letter.owner != staff.username
        and not staff.may(Permission.DECIDE_ANY)
    ):
        raise UsageError(
            f"dead letter {letter.id} is claimed by {letter.owner}: ask them or a team manager"
        )


def _event(
    letter: DeadLetter,
    action: LetterAction,
    actor: str,
    at: datetime,
    new_id: NewId,
    reason: str | None = None,
) -> list[LetterEvent]:
    event = LetterEvent(new_id(), letter.id, action, actor, at, reason)
    apply_event(letter, event)  # refuses what the state forbids, before anything is sent
    return [event]


def plan_claim(letter: DeadLetter, actor: str, at: datetime, new_id: NewId) -> list[LetterEvent]:
    """A claim, or nothing if ``actor`` already holds it."""
    if letter.state is LetterState.CLAIMED and letter.owner == actor:
        return []
    return _event(letter, LetterAction.CLAIM, actor, at, new_id)


def plan_replay(letter: DeadLetter, actor: str, at: datetime, new_id: NewId) -> list[LetterEvent]:
    return _event(letter, LetterAction.REPLAY, actor, at, new_id)


def plan_close(
    letter: DeadLetter, reason: str | None, actor: str, at: datetime, new_id: NewId
) -> list[LetterEvent]:
    return _event(letter, LetterAction.CLOSE, actor, at, new_id, close_reason(reason))


@dataclass(frozen=True, slots=True)
class ReplayMessage:
    """What a replay sends: the original bytes to the original topic, with a link back."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers
    timestamp_ms: int | None


def replayable_topics(topics: Topics) -> frozenset[str]:
    """Only input topics of this installation: the agencies' and the records'."""
    return frozenset([*topics.ingest(), *topics.record_topics()])


def replay_message(letter: DeadLetter, topics: Topics) -> ReplayMessage:
    """The message a replay sends; UsageError when this dead letter cannot be replayed.

    The original headers are kept in order, less any ``mash-replay-of`` of an earlier replay
    (the chain stays on the dead letters), plus this one's. The original timestamp is kept, so
    the worker gives the referral its first receipt time, deadline and decision ids.
    """
    original = letter.original
    if original is None or letter.source_topic is None:
        raise UsageError(
            f"dead letter {letter.id} has no original message to replay: close it with a reason"
        )
    if letter.source_topic not in replayable_topics(topics):
        raise UsageError(
            f"dead letter {letter.id} came from {letter.source_topic}, which is not an ingest "
            "or record topic of this hub: it cannot be replayed (close it with a reason)"
        )
    headers = tuple(h for h in original.headers if h[0] != REPLAY_HEADER)
    return ReplayMessage(
        topic=letter.source_topic,
        key=original.key,
        value=original.value,
        headers=(*headers, (REPLAY_HEADER, letter.id.encode())),
        timestamp_ms=original.timestamp_ms,
    )
