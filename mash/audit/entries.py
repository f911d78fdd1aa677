"""What goes into the decision log: validated, JSON-ready decision dicts (pure, no I/O).

Why a gate here: the log keeps every entry forever and cannot correct one (it is append-only),
so an entry is checked *before* it is sealed. The log stores decisions, reasons and check
outcomes, never narratives: any field named like a narrative is stripped on the way in,
wherever it is nested, because a referral's free text about a family has no place in a record
kept for years and read by auditors. Overrides must name the decision they supersede, the
member of staff, and a reason (a person's decision about a child must be explainable).

Three kinds of entry: ``decision`` (the router's proposal), ``override`` (a person's decision
on the route that takes effect: a confirmation, an override, or a manager's approval of one
that waited) and ``action`` (every other step a person takes about a decision, which leaves
the route as it is: a claim, a request awaiting approval, a refusal, a transfer, a close).
An action names its decision in ``subject``; an override in ``supersedes``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Generic, TypeVar, cast

from mash.audit.canonical import NotCanonical, canonical_json
from mash.domain.decision import CHILD_CONTEXT, DecisionRecord
from mash.domain.oversight import CloseReason, approval_for_close, approval_for_route
from mash.domain.routes import Route
from mash.errors import InvalidDecision

KINDS: tuple[str, ...] = ("decision", "override", "action")
OVERRIDE_ACTIONS: tuple[str, ...] = (
    "CLAIM",
    "CONFIRM",
    "OVERRIDE",
    "TRANSFER",
    "CLOSE",
    "APPROVE",
    "REFUSE",
    "RELEASE",
)
MAX_ID_LENGTH = 200
CONFIRM_REASON = "Hub staff confirmed the proposed route."
APPROVE_REASON = "A team manager approved the decision that awaited approval."
ACTION_REASONS: Mapping[str, str] = {
    "CLAIM": "Taken to work on.",
    "TRANSFER": "Handed on from the front door.",
    "APPROVE": APPROVE_REASON,
}

# Context copied from the superseded decision into an override entry, so that a query by
# child or referral finds the human decision next to the automated one.
_OVERRIDE_CONTEXT: tuple[str, ...] = (*CHILD_CONTEXT, "received_at", "deadline")


@lru_cache(maxsize=4096)
def is_narrative_key(key: str) -> bool:
    """True for free-text fields of the agency forms (narrative, clinicalNarrative, ...)."""
    folded = key.lower().replace("_", "").replace("-", "")
    return folded.endswith("narrative") or folded == "description"


def format_instant(moment: datetime) -> str:
    """ISO-8601 UTC with microseconds and 'Z': one spelling, so hashes are reproducible."""
    if moment.tzinfo is None:
        raise InvalidDecision("a time without a time zone cannot be logged")
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_instant(value: object, name: str, decision_id: str) -> datetime:
    """An aware UTC datetime from an ISO string (or datetime); the error names the field."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            problem = f"decision {decision_id}: {name} is not an ISO-8601 time"
            raise InvalidDecision(problem) from None
    else:
        raise InvalidDecision(f"decision {decision_id}: {name} is missing or not a time")
    if moment.tzinfo is None:
        raise InvalidDecision(f"decision {decision_id}: {name} has no time zone")
    return moment.astimezone(UTC)


def _json_default(value: Any) -> Any:
    """What the C JSON encoder cannot write itself: times, dates, other mappings."""
    if isinstance(value, datetime):
        return format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(type(value).__name__)


def _strip_narratives(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_narratives(v) for k, v in value.items() if not is_narrative_key(k)}
    if isinstance(value, list):
        return [_strip_narratives(v) for v in value]
    return value


def _json_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """``value`` as JSON text by the C encoder: checks it holds only JSON values (NaN refused).

    Not the bytes that are hashed (those are ``canonical_json``'s): a quick way to convert
    and check a value, and to look for narrative keys in one pass.
    """
    return json.dumps(value, ensure_ascii=False, allow_nan=False, default=default)


def jsonable(value: Any) -> Any:
    """A plain-JSON copy with narratives removed: times as ISO strings, tuples as lists."""
    try:
        text = _json_text(value, _json_default)
    except (TypeError, ValueError) as exc:
        raise InvalidDecision(f"a value that is not JSON ({exc})") from None
    return _strip_narratives(json.loads(text))


def _text(d: Mapping[str, Any], name: str, decision_id: str, *, required: bool) -> str | None:
    value = d.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidDecision(f"decision {decision_id}: {name} is required")
        return None
    if not isinstance(value, str):
        raise InvalidDecision(f"decision {decision_id}: {name} must be text")
    return value


def _check_identity(d: Mapping[str, Any]) -> str:
    decision_id = d.get("decision_id")
    if not isinstance(decision_id, str) or not decision_id.strip():
        raise InvalidDecision("a decision without a decision_id cannot be logged")
    if len(decision_id) > MAX_ID_LENGTH:
        raise InvalidDecision(f"decision id longer than {MAX_ID_LENGTH} characters")
    return decision_id


def _check_kind(d: Mapping[str, Any], decision_id: str) -> str:
    kind = d.get("kind", "decision")
    if kind not in KINDS:
        raise InvalidDecision(f"decision {decision_id}: kind must be one of {', '.join(KINDS)}")
    if kind == "override":
        supersedes = _text(d, "supersedes", decision_id, required=True)
        _text(d, "reason", decision_id, required=True)
        if supersedes == decision_id:
            raise InvalidDecision(f"override {decision_id} cannot supersede itself")
    if kind == "action":
        subject = _text(d, "subject", decision_id, required=True)
        if d.get("action") not in OVERRIDE_ACTIONS:
            raise InvalidDecision(f"action {decision_id}: unknown action")
        if subject == decision_id:
            raise InvalidDecision(f"action {decision_id} cannot be about itself")
    return str(kind)


def _check_route(d: Mapping[str, Any], decision_id: str) -> None:
    """A route from the contract; a confirmation may leave it to the confirmed decision, and
    an action (a claim) may have none."""
    confirming = d["kind"] == "override" and d.get("action") == "CONFIRM"
    if d.get("route") is None and (confirming or d["kind"] == "action"):
        return
    if Route.parse(d.get("route")) is None:
        routes = ", ".join(Route.ordered())
        raise InvalidDecision(f"decision {decision_id}: route must be one of {routes}")


def _check_numbers(d: Mapping[str, Any], decision_id: str) -> None:
    for name in ("child_index", "level"):
        value = d.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise InvalidDecision(f"decision {decision_id}: {name} must be a whole number")
    score = d.get("match_score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int | float)):
        raise InvalidDecision(f"decision {decision_id}: match_score must be a number")


def _check_lists(d: Mapping[str, Any], decision_id: str) -> None:
    for rule in d.get("rules") or []:
        if not isinstance(rule, Mapping) or not isinstance(rule.get("id"), str):
            raise InvalidDecision(f"decision {decision_id}: every rule needs an id")
    for flag in d.get("flags") or []:
        if not isinstance(flag, str):
            raise InvalidDecision(f"decision {decision_id}: flags must be text")


@dataclass(frozen=True, slots=True)
class Prepared:
    """A decision checked for the log, with the exact bytes to seal and its columns.

    Everything is derived once, here: the sink prepares each message as it arrives (to
    dead-letter a bad one alone) and the store then only seals and inserts.
    """

    decision: DecisionRecord
    body: bytes
    columns: dict[str, Any]

    @property
    def decision_id(self) -> str:
        return str(self.decision["decision_id"])


def _sealed_bytes(decision: Mapping[str, Any]) -> bytes:
    """The canonical bytes the log stores and hashes; what JCS cannot hold is refused by name."""
    try:
        return canonical_json(decision)
    except NotCanonical as exc:
        raise InvalidDecision(f"{exc.path} {exc.why}; the log cannot seal it") from None


def _json_form(value: Mapping[str, Any]) -> tuple[dict[str, Any], bytes]:
    """The decision as plain JSON (narratives removed) and its canonical bytes.

    Why this shape: it runs on every decision the sink writes. The C encoder checks that a
    decision holds only JSON values in one pass; only a decision with times or dates in it
    is round-tripped, and only one whose text mentions a narrative-like key is walked in
    Python to strip it. The canonical bytes are then written once, here, outside the log's
    write lock. A decision that JSON holds but JCS does not take as it is (a key that is
    not text, which JSON writes as text) is canonicalised in its JSON form.
    """
    try:
        try:
            text, plain = _json_text(value), True
        except TypeError:
            text, plain = _json_text(value, _json_default), False
    except (TypeError, ValueError) as exc:
        raise InvalidDecision(f"a decision holds a value that is not JSON ({exc})") from None
    folded = text.lower()
    if "narrative" in folded or '"description"' in folded:
        copy = _strip_narratives(json.loads(text))
        return copy, _sealed_bytes(copy)
    decision = dict(value) if plain else json.loads(text)
    try:
        return decision, canonical_json(decision)
    except NotCanonical:
        decision = json.loads(text)
        return decision, _sealed_bytes(decision)


def prepare_entry(decision: Mapping[str, Any]) -> Prepared:
    """Validate one decision or override dict for the log; see ``prepare``."""
    if not isinstance(decision, Mapping):
        raise InvalidDecision("a decision must be a JSON object")
    try:
        d, body = _json_form(decision)
    except InvalidDecision as exc:
        raise InvalidDecision(f"decision {decision.get('decision_id')}: {exc}") from None
    decision_id = _check_identity(d)
    kind = _check_kind(d, decision_id)
    if d.get("kind") != kind:
        d["kind"] = kind
        body = _sealed_bytes(d)
    _check_route(d, decision_id)
    _text(d, "decided_by", decision_id, required=True)
    parse_instant(d.get("decided_at"), "decided_at", decision_id)
    for name in ("received_at", "deadline"):
        if d.get(name) is not None:
            parse_instant(d[name], name, decision_id)
    _check_numbers(d, decision_id)
    _check_lists(d, decision_id)
    # Checked above, so from here on it is what the log stores: a decision record.
    return Prepared(cast(DecisionRecord, d), body, columns_of(d))


def prepare(decision: Mapping[str, Any]) -> DecisionRecord:
    """Validate one decision or override dict and return its JSON-ready, narrative-free form.

    Raises InvalidDecision naming the decision id and the field, never its content.
    """
    record: DecisionRecord = json.loads(prepare_entry(decision).body)
    return record


def _joined(items: Sequence[str]) -> str:
    """'|a|b|' so that a LIKE '%|a|%' finds a whole id, not a prefix of another."""
    return "|" + "|".join(items) + "|" if items else ""


def _optional_instant(d: Mapping[str, Any], name: str, decision_id: str) -> datetime | None:
    value = d.get(name)
    return None if value is None else parse_instant(value, name, decision_id)


def columns_of(d: Mapping[str, Any]) -> dict[str, Any]:
    """The searchable columns of a prepared decision, derived from its JSON and nothing else.

    ``verify`` derives them again from the stored JSON, so a column edited behind the
    log's back (say, the route) is caught even though the JSON still hashes correctly.
    """
    decision_id = str(d["decision_id"])
    score = d.get("match_score")
    return {
        "decision_id": decision_id,
        "kind": d.get("kind", "decision"),
        "agency": d.get("agency"),
        "source_id": d.get("source_id"),
        "source_code": d.get("source_code"),
        "child_index": d.get("child_index"),
        "child_key": d.get("child_key"),
        "household_id": d.get("household_id"),
        "match": d.get("match"),
        "match_score": None if score is None else float(score),
        "route": d.get("route"),
        "level": d.get("level"),
        "rule_ids": _joined([str(r["id"]) for r in d.get("rules") or []]),
        "flags": _joined([str(f) for f in d.get("flags") or []]),
        "rule_set_version": d.get("rule_set_version"),
        "input_digest": d.get("input_digest"),
        "received_at": _optional_instant(d, "received_at", decision_id),
        "decided_at": parse_instant(d.get("decided_at"), "decided_at", decision_id),
        "deadline": _optional_instant(d, "deadline", decision_id),
        "decided_by": d.get("decided_by"),
        "supersedes": d.get("supersedes"),
        "reason": d.get("reason"),
    }


def unique_by_id(decisions: Sequence[Prepared]) -> list[Prepared]:
    """First occurrence of each decision id, in order (a replayed batch holds repeats)."""
    seen: set[str] = set()
    unique = []
    for d in decisions:
        if d.decision_id not in seen:
            seen.add(d.decision_id)
            unique.append(d)
    return unique


@dataclass(frozen=True, slots=True)
class OverrideEvent:
    """A hub staff action from ``mash.overrides`` (schema mash/override).

    An OVERRIDE without a route and a reason is refused as soon as it is read (here, not when
    it is logged): it can never become valid, so it must not wait for its decision first.
    """

    event_id: str
    decision_id: str
    action: str
    route: str | None
    reason: str | None
    actor: str
    at: str
    destination: str | None = None
    detail: str | None = None
    close_reason: str | None = None

    @classmethod
    def from_mapping(cls, event: Mapping[str, Any]) -> OverrideEvent:
        """Check an override event's fields; errors name the event id, never free text."""
        event_id = event.get("event_id")
        if not isinstance(event_id, str) or not event_id.strip():
            raise InvalidDecision("an override event without an event_id cannot be logged")
        action = event.get("action")
        if action not in OVERRIDE_ACTIONS:
            raise InvalidDecision(f"override event {event_id}: unknown action, not applied")
        fields = {name: event.get(name) for name in ("decision_id", "actor")}
        for name, value in fields.items():
            if not isinstance(value, str) or not value.strip():
                raise InvalidDecision(f"override event {event_id}: {name} is required")
        at = jsonable(event.get("at"))
        parse_instant(at, "at", event_id)
        route = event.get("route")
        return cls(
            event_id=event_id,
            decision_id=str(fields["decision_id"]),
            action=str(action),
            route=route if isinstance(route, str) and route else None,
            reason=_optional(event, "reason"),
            actor=str(fields["actor"]),
            at=str(at),
            destination=_optional(event, "destination"),
            detail=_optional(event, "detail"),
            close_reason=_optional(event, "close_reason"),
        )

    def __post_init__(self) -> None:
        needs = {
            "OVERRIDE": ("route", "reason"),
            "CLOSE": ("close_reason", "reason"),
            "REFUSE": ("reason",),
            "RELEASE": ("reason",),
            "TRANSFER": ("destination",),
        }.get(self.action, ())
        if any(getattr(self, name) is None for name in needs):
            raise InvalidDecision(
                f"override event {self.event_id}: {self.action} needs {' and '.join(needs)}"
            )

    @property
    def hands_off(self) -> bool:
        """A transfer, or an approved close: the child leaves the front door (an outcome)."""
        return self.action == "TRANSFER" or (
            self.action in ("CLOSE", "APPROVE") and self.close_reason is not None
        )


def _optional(event: Mapping[str, Any], name: str) -> str | None:
    value = event.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


def awaits_approval(event: OverrideEvent, superseded: DecisionRecord) -> str | None:
    """Why this staff step waits for a team manager (:mod:`mash.domain.oversight`), or None.

    The same rule the hub's state machine applies, from what the log holds: the decision's
    proposed route and flags, and the route the event would leave the child on.
    """
    proposed = str(superseded.get("route") or "")
    flags = [str(f) for f in superseded.get("flags") or ()]
    if event.action == "CONFIRM":
        return approval_for_route(proposed, proposed, flags)
    if event.action == "OVERRIDE":
        return approval_for_route(proposed, event.route or "", flags)
    if event.action == "CLOSE" and event.close_reason is not None:
        try:
            code = CloseReason(event.close_reason)
        except ValueError:
            return "an unknown close reason needs a team manager's approval"
        return approval_for_close(event.route or proposed, code)
    return None


def override_entry(event: OverrideEvent, superseded: DecisionRecord | None) -> DecisionRecord:
    """The log entry for a staff step on ``superseded`` (the decision it is about).

    A confirmation, an override or a manager's approval of one that takes effect is an
    ``override`` entry (it supersedes the decision); every other step, including a request
    that waits for approval, is an ``action`` entry. The entry's decision id is the event id,
    so a redelivered event is a duplicate and is dropped. Both copy the decision's context
    (child, referral, deadline), so the decision must be known: an entry is sealed for ever,
    and one logged with an empty route could never be corrected. The sink holds an event
    until its decision is logged (see ``Holding``); here a missing one is refused.
    """
    if superseded is None:
        raise InvalidDecision(not_logged_reason(event))
    base = dict(superseded)
    waiting = awaits_approval(event, superseded)
    decides = event.action in ("CONFIRM", "OVERRIDE") or (
        event.action == "APPROVE" and event.close_reason is None
    )
    route = event.route or base.get("route")
    entry: dict[str, Any] = {name: base.get(name) for name in _OVERRIDE_CONTEXT}
    entry.update(
        decision_id=event.event_id,
        action=event.action,
        route=route,
        level=base.get("level") if route == base.get("route") else None,
        rules=[],
        checks={},
        check_details={},
        flags=[],
        facts={},
        rule_set_version=None,
        input_digest=None,
        decided_at=event.at,
        decided_by=event.actor,
    )
    if decides and waiting is None:
        default = APPROVE_REASON if event.action == "APPROVE" else CONFIRM_REASON
        entry.update(kind="override", supersedes=event.decision_id, reason=event.reason or default)
        return prepare(entry)
    entry.update(
        kind="action",
        subject=event.decision_id,
        reason=event.reason or ACTION_REASONS.get(event.action),
        awaiting_approval=waiting,
        destination=event.destination,
        detail=event.detail,
        close_reason=event.close_reason,
    )
    if event.action == "CLAIM":
        entry["route"] = None
        entry["level"] = None
    return prepare({k: v for k, v in entry.items() if v is not None or k in ("route", "level")})


def not_logged_reason(event: OverrideEvent, waited_s: float | None = None) -> str:
    """Why a staff event was not applied: its decision is not in the log (ids only)."""
    waited = "" if waited_s is None else f" after waiting {waited_s:g}s"
    return (
        f"override event {event.event_id}: decision {event.decision_id} is not in the log"
        f"{waited}; not applied"
    )


M = TypeVar("M")
Source = tuple[str, int]  # (topic, partition) a message was read from


@dataclass(frozen=True, slots=True)
class Held(Generic[M]):
    """A staff event read before its decision was logged, with where and when it was read."""

    event: OverrideEvent
    source: Source
    offset: int
    since: float  # a monotonic clock reading, when it was first held
    message: M


class Holding(Generic[M]):
    """Staff events waiting for the decision they act on: which are ready, which gave up.

    Why: ``mash.decisions`` and ``mash.overrides`` are read independently, so a CONFIRM can
    be read before the decision it confirms (a sink replaying from behind, a lagging decision
    partition, a worker that published the queue item but not yet the decision). Logging it
    then would seal an entry without the decision's route, for ever. So it waits here, in
    memory, per partition in read order, until its decision is logged (``release``) or for
    at most ``hold_s`` (``expire``: a forged or mistyped decision id must not wait for ever).

    The sink stores as a partition's position the offset of its oldest event still held
    (``floor``), never further: a crash re-reads every held event. Events after it that were
    already logged are re-read too and dropped by their ids, so nothing is lost or doubled.
    Pure: the clock and the set of logged decision ids are passed in.
    """

    def __init__(self, hold_s: float) -> None:
        self.hold_s = hold_s
        self._queues: dict[Source, list[Held[M]]] = {}

    def __len__(self) -> int:
        return sum(len(queue) for queue in self._queues.values())

    def hold(
        self, event: OverrideEvent, source: Source, offset: int, message: M, now: float
    ) -> bool:
        """Keep ``event`` until its decision is logged; False if that offset is already held.

        Offsets only grow within a partition, so one at or before the newest held is a
        re-delivery of a message already waiting here.
        """
        queue = self._queues.setdefault(source, [])
        if queue and offset <= queue[-1].offset:
            return False
        queue.append(Held(event, source, offset, now, message))
        return True

    def waiting_for(self) -> set[str]:
        """The decision ids that held events act on."""
        return {h.event.decision_id for queue in self._queues.values() for h in queue}

    def release(self, logged: Container[str]) -> list[Held[M]]:
        """Take out the events whose decision is in ``logged``, in the order they were read."""
        return self._take(lambda held: held.event.decision_id in logged)

    def expire(self, now: float) -> list[Held[M]]:
        """Take out the events held for ``hold_s`` or longer, in the order they were read.

        Within a partition the oldest are held longest, so what expires is always a
        partition's front: its position moves past them, never past one still waiting.
        """
        return self._take(lambda held: now - held.since >= self.hold_s)

    def floor(self) -> dict[Source, int]:
        """Per partition, the offset of its oldest held event: where a restart must read."""
        return {source: queue[0].offset for source, queue in self._queues.items() if queue}

    def _take(self, done: Callable[[Held[M]], bool]) -> list[Held[M]]:
        taken: list[Held[M]] = []
        for source, queue in list(self._queues.items()):
            keep: list[Held[M]] = []
            for held in queue:
                (taken if done(held) else keep).append(held)
            if keep:
                self._queues[source] = keep
            else:
                del self._queues[source]
        return sorted(taken, key=lambda held: held.since)  # stable: read order kept
