"""A routing decision: one per child per referral, explained, and reproducible on replay."""

from __future__ import annotations

import hashlib
import json
import math
import operator
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any, Final, Literal, TypedDict

import orjson

from mash.domain.referral import Adult, Child, Referral
from mash.domain.routes import Route as Route  # re-exported: mash.rules.corpus imports it here
from mash.errors import DecodeError

Match = Literal["EXACT", "PROBABLE", "POSSIBLE", "NONE"]
CheckOutcome = Literal["FOUND", "NOT_FOUND", "UNAVAILABLE"]

CHILD_CONTEXT: Final = (
    "agency",
    "source_id",
    "source_code",
    "child_index",
    "child_key",
    "household_id",
    "match",
    "match_score",
)
"""The fields of a logged decision that say which child it is about and how surely the child
was matched to agency records: copied onto every override of it, and columns of every export."""

PROVENANCE: Final = (
    "rule_set_version",
    "input_digest",
    "received_at",
    "decided_at",
    "deadline",
    "decided_by",
)
"""The fields that say how a decision was made: under which rules, from which input, when, and
by whom (the router's id or a member of staff)."""


@dataclass(frozen=True, slots=True)
class FiredRule:
    """A rule that fired: its id, level, the reason in a social worker's words, and evidence."""

    id: str
    level: int
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Decision:
    """What the router proposes for one child; a person confirms or overrides it.

    ``decision_id`` is derived from (agency, source id, child index, rule-set version), so a
    replay of the same referral under the same rules yields the same id and the log can drop
    the duplicate. ``facts`` is exactly what the rules saw (codes, ages, flags, check summaries;
    never names or narrative), so an auditor can re-run any rule set over it (``mash whatif``).
    """

    decision_id: str
    agency: str
    source_id: str
    source_code: str
    child_index: int
    child_key: str
    household_id: str
    match: Match
    match_score: float
    route: Route
    level: int
    rules: tuple[FiredRule, ...]
    checks: dict[str, CheckOutcome]
    check_details: dict[str, dict[str, Any]]
    flags: tuple[str, ...]
    facts: dict[str, Any]
    rule_set_version: str
    input_digest: str
    received_at: datetime
    decided_at: datetime
    decided_by: str
    deadline: datetime
    kind: Literal["decision", "override"] = "decision"
    supersedes: str | None = None
    reason: str | None = None


# --------------------------------------------------------------------------- identifiers

# Fixed namespace of decision ids (uuid5): changing it would change every id and break the
# log's duplicate detection on replay, so it is a constant, not configuration.
DECISION_NAMESPACE: Final = uuid.UUID("6f1d7a52-3c1e-5b8e-9a4f-2d6c0e8b1a37")
_NAMESPACE_BYTES: Final = DECISION_NAMESPACE.bytes


def make_decision_id(
    agency: str, source_id: str, child_index: int, rule_set_version: str, digest: str
) -> str:
    """Deterministic decision id: the same referral's child under the same rule set always gets
    the same id, so a replayed or redelivered referral is a duplicate the log drops. A new rule
    set version gives a new id: re-deciding under new rules is a new decision.

    ``digest`` is the referral's input digest. The design names only (referral id, child index,
    rule-set version), but then an agency that resends a *corrected* referral under the same id
    would have it dropped by the log as a duplicate: a referral silently lost. With the digest,
    a replay of the same bytes still yields the same id, and a changed referral is a new
    decision that the log keeps."""
    name = f"{agency}|{source_id}|{child_index}|{rule_set_version}|{digest}".encode()
    # uuid.uuid5 by hand (RFC 4122 s4.3): the same value, without building a UUID object.
    raw = bytearray(hashlib.sha1(_NAMESPACE_BYTES + name, usedforsecurity=False).digest()[:16])
    raw[6] = (raw[6] & 0x0F) | 0x50
    raw[8] = (raw[8] & 0x3F) | 0x80
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def household_id(agency: str, source_id: str) -> str:
    """The id shared by every child of one referral (siblings in one notification)."""
    return "hh-" + hashlib.sha256(f"{agency}|{source_id}".encode()).hexdigest()[:20]


def _fields_of(kind: type) -> Callable[[Any], tuple[Any, ...]]:
    getter = _GETTERS.get(kind)
    if getter is None:
        getter = _GETTERS[kind] = operator.attrgetter(*(f.name for f in fields(kind)))
    return getter


def _canonical(value: Any) -> Any:
    # What the JSON encoder cannot take as is, made plain *before* encoding (a ``default``
    # hook would cost a Python call per value and a fresh encoder per referral; the digest is
    # computed for every referral). Exactly what ``json.dumps(..., default=hook)`` would
    # write for the same values: times ISO-8601 UTC, dates ISO, sets sorted, dataclasses as
    # arrays of their fields in order, anything else the encoder handles natively.
    kind = type(value)
    getter = _GETTERS.get(kind)  # the children and adults, met first
    if getter is not None:
        return _plain_items(getter(value))
    if kind is date:
        return value.isoformat()
    if isinstance(value, datetime):
        return iso_utc(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | set):
        return _plain_items(sorted(value))
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, list | tuple):
        return _plain_items(value)
    if isinstance(value, dict):
        return {
            key: item if type(item) in _NATIVE else _canonical(item) for key, item in value.items()
        }
    return _plain_items(_fields_of(kind)(value))


def _plain_items(values: Iterable[Any]) -> list[Any]:
    return [item if type(item) in _NATIVE else _canonical(item) for item in values]


_NATIVE: Final = frozenset({str, int, float, bool, type(None)})
_GETTERS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
_DIGESTED: Final = tuple(f.name for f in fields(Referral) if f.name != "received_at")
_DIGESTED_VALUES: Final = operator.attrgetter(*_DIGESTED)
_DIGEST_JSON: Final = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
for _model in (Child, Adult):  # known from the start, so the first referral is fast too
    _fields_of(_model)


def input_digest(referral: Referral) -> str:
    """SHA-256 (hex) of the canonical JSON of a referral: what exactly was decided on.

    Canonical means the normalised :class:`Referral` (so JSON and Avro forms of one referral
    digest alike) as a JSON array of its field values in the model's field order (children
    and adults likewise, sets sorted, dates ISO-8601, times UTC). Positional rather than keyed
    because it is computed for every referral and arrays encode fastest; the field order is
    fixed by the code, and any change to the model changes digests either way.

    The narrative *is* included: the digest must change when anything the agency said
    changes, and a hash does not reveal the text. ``received_at`` is left out: it is the
    hub's receipt time, not the agency's content, so a referral replayed later (or received
    twice) has the same digest.

    Every decision id derives from this text, so it must never drift: orjson writes it when
    it provably writes the same bytes as the standard library (:func:`_fast_canonical_json`),
    and the standard library writes it otherwise.
    """
    values = _DIGESTED_VALUES(referral)
    try:
        text = _fast_canonical_json(values)
    except (_NotPlain, orjson.JSONEncodeError):
        text = _DIGEST_JSON(_plain_items(values)).encode("utf-8")
    return hashlib.sha256(text).hexdigest()


class _NotPlain(Exception):
    """A value the fast digest path leaves to the standard library (see below)."""


_SAME_TEXT: Final = frozenset({str, int, bool, type(None), date, datetime})
"""Leaf types both encoders write alike: strings byte for byte (checked over every code
point), integers alike within orjson's 64-bit range (beyond it orjson raises), and dates and
times through the same functions (:func:`_orjson_default`)."""
_SMALLEST_PLAIN_FLOAT: Final = 1e-4
"""Below this magnitude Python writes ``1e-05`` and orjson ``0.00001``; from it up to the
largest finite float both write the shortest round-trip text alike. NaN and infinities differ
(``NaN`` against ``null``)."""
_DIGEST_OPTIONS: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _plain_float(value: float) -> bool:
    return not value or _SMALLEST_PLAIN_FLOAT <= abs(value) < math.inf


def _check_leaves(values: tuple[Any, ...] | list[Any]) -> None:
    """Raise :class:`_NotPlain` unless every value is a leaf orjson writes as the standard
    library does, or a model dataclass (whose own fields the hook checks in turn)."""
    kinds = set(map(type, values))
    if kinds <= _SAME_TEXT:  # the usual case, decided at C speed
        return
    for kind in kinds:
        if kind in _SAME_TEXT or kind in _GETTERS:
            continue
        if kind is float and all(_plain_float(v) for v in values if type(v) is float):
            continue
        raise _NotPlain


def _fast_canonical_json(values: tuple[Any, ...]) -> bytes:
    """The digest text by orjson, byte for byte what the standard library writes for the
    same canonical values, in one C call instead of a Python walk over every field.

    Taken only for what the canonical model holds: leaves of :data:`_SAME_TEXT`, plain floats,
    tuples of children and adults, sets of codes. Anything else (a list, a dict, a huge
    integer, a NaN, a lone surrogate, a dataclass not met before) raises :class:`_NotPlain`
    or ``orjson.JSONEncodeError``, and the caller falls back to the standard library, which
    then writes (or refuses) exactly what it always did. Tuples are written as arrays by both,
    so the children's field tuples need no copying into lists."""
    for kind in set(map(type, values)):
        if kind in _SAME_TEXT or kind is frozenset or kind is set:
            continue  # sets are checked by the hook, once sorted
        if kind is tuple:
            for value in values:
                if type(value) is tuple:
                    _check_leaves(value)
        else:
            _check_leaves([value for value in values if type(value) is kind])
    return orjson.dumps(values, default=_orjson_default, option=_DIGEST_OPTIONS)


def _orjson_default(value: Any) -> Any:
    # orjson's hook: the values it does not write itself (dates and dataclasses passed
    # through on purpose, sets), made plain as :func:`_canonical` makes them.
    kind = type(value)
    getter = _GETTERS.get(kind)
    if getter is not None:
        fields_ = getter(value)
        _check_leaves(fields_)
        return fields_
    if kind is date:
        return value.isoformat()
    if kind is datetime:
        return iso_utc(value)
    if kind is frozenset or kind is set:
        items = sorted(value)
        _check_leaves(items)
        return items
    raise _NotPlain


# --------------------------------------------------------------------------- dict form


def iso_utc(moment: datetime) -> str:
    """ISO-8601 in UTC with a ``Z`` (naive times are taken as UTC)."""
    if moment.tzinfo is UTC:  # the usual case: cached, every child of a day shares times
        return _iso_of_utc(moment)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


@lru_cache(maxsize=4096)
def _iso_of_utc(moment: datetime) -> str:
    # Keyed by UTC times only: for other zones two equal datetimes may differ in ``fold``
    # and so in their UTC offset, which a cache keyed by equality would confuse.
    return moment.isoformat().replace("+00:00", "Z")


def parse_utc(text: str) -> datetime:
    """The inverse of :func:`iso_utc`; also accepts ``+00:00`` and other offsets."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class FiredRuleRecord(TypedDict):
    """A fired rule in a :class:`DecisionRecord`: ``{id, level, reason, evidence}``."""

    id: str
    level: int
    reason: str
    evidence: dict[str, Any]


class _DecisionFields(TypedDict):
    """The keys every :class:`DecisionRecord` has."""

    decision_id: str
    kind: Literal["decision", "override", "action"]
    agency: str
    source_id: str
    source_code: str
    child_index: int
    child_key: str
    household_id: str
    match: Match
    match_score: float
    route: str
    level: int | None
    rules: list[FiredRuleRecord]
    checks: dict[str, CheckOutcome]
    check_details: dict[str, dict[str, Any]]
    flags: list[str]
    facts: dict[str, Any]
    rule_set_version: str | None
    input_digest: str | None
    received_at: str
    decided_at: str
    deadline: str
    decided_by: str
    supersedes: str | None
    reason: str | None


class DecisionRecord(_DecisionFields, total=False):
    """A decision as plain data: the one shape the stream, the decision log and the hub share.

    Exactly the dict :func:`decision_to_dict` returns, which the ``decision`` Avro subject
    carries (``mash.avro.decision``), the decision log seals and gives back (``mash.audit``)
    and the hub reads from ``mash.decisions`` (``mash.hub``). Times are ISO-8601 UTC text;
    ``route`` is the text of a :class:`Route` (``Route(record["route"])`` for its rank, label
    and clock), as JSON and Avro give it back.

    The log keeps staff decisions in the same shape (``kind`` "override", written by
    ``mash.audit.entries.override_entry``): only they carry ``action`` (CONFIRM or OVERRIDE),
    and they have no ``level`` when the route was changed and no ``rule_set_version`` or
    ``input_digest``, hence the ``None`` those fields allow. Code reading the log uses
    ``.get`` on them, as entries logged by older versions may lack a key.
    """

    action: str


def fired_rule_to_dict(rule: FiredRule) -> FiredRuleRecord:
    """``{id, level, reason, evidence}`` of the decision dict."""
    return {"id": rule.id, "level": rule.level, "reason": rule.reason, "evidence": rule.evidence}


def decision_to_dict(decision: Decision) -> DecisionRecord:
    """The decision dict of the team brief, exactly those keys (JSON-safe when ``facts`` and
    the rules' evidence are, which the rule engine guarantees). The route is written as its
    plain text, as it is read back from JSON, Avro and the log."""
    return {
        "decision_id": decision.decision_id,
        "kind": decision.kind,
        "agency": decision.agency,
        "source_id": decision.source_id,
        "source_code": decision.source_code,
        "child_index": decision.child_index,
        "child_key": decision.child_key,
        "household_id": decision.household_id,
        "match": decision.match,
        "match_score": decision.match_score,
        "route": str(decision.route),
        "level": decision.level,
        "rules": [fired_rule_to_dict(rule) for rule in decision.rules],
        "checks": dict(decision.checks),
        "check_details": {kind: dict(detail) for kind, detail in decision.check_details.items()},
        "flags": list(decision.flags),
        "facts": dict(decision.facts),
        "rule_set_version": decision.rule_set_version,
        "input_digest": decision.input_digest,
        "received_at": iso_utc(decision.received_at),
        "decided_at": iso_utc(decision.decided_at),
        "deadline": iso_utc(decision.deadline),
        "decided_by": decision.decided_by,
        "supersedes": decision.supersedes,
        "reason": decision.reason,
    }


_OPTIONAL_CONTEXT: Final = frozenset({"household_id", "match_score"})
_REQUIRED: Final = (
    "decision_id",
    *(name for name in CHILD_CONTEXT if name not in _OPTIONAL_CONTEXT),
    "route",
    "level",
    *PROVENANCE,
)


def decision_from_dict(obj: Mapping[str, Any]) -> Decision:
    """A :class:`Decision` from its dict form (as logged, or decoded from Avro).

    Raises :class:`~mash.errors.DecodeError` naming the missing or malformed key (and the
    decision id when known), never a value.
    """
    ref = obj.get("decision_id", "?") if isinstance(obj, Mapping) else "?"
    missing = [key for key in _REQUIRED if not isinstance(obj, Mapping) or key not in obj]
    if missing:
        raise DecodeError(f"decision {ref}: missing {', '.join(missing)}")
    try:
        return Decision(
            decision_id=str(obj["decision_id"]),
            agency=str(obj["agency"]),
            source_id=str(obj["source_id"]),
            source_code=str(obj["source_code"]),
            child_index=int(obj["child_index"]),
            child_key=str(obj["child_key"]),
            household_id=str(obj.get("household_id") or ""),
            match=obj["match"],
            match_score=float(obj.get("match_score") or 0.0),
            route=Route(obj["route"]),
            level=int(obj["level"]),
            rules=tuple(
                FiredRule(
                    id=str(rule["id"]),
                    level=int(rule.get("level", 0)),
                    reason=str(rule.get("reason", "")),
                    evidence=dict(rule.get("evidence") or {}),
                )
                for rule in obj.get("rules") or ()
            ),
            checks=dict(obj.get("checks") or {}),
            check_details={k: dict(v) for k, v in (obj.get("check_details") or {}).items()},
            flags=tuple(str(flag) for flag in obj.get("flags") or ()),
            facts=dict(obj.get("facts") or {}),
            rule_set_version=str(obj["rule_set_version"]),
            input_digest=str(obj["input_digest"]),
            received_at=parse_utc(obj["received_at"]),
            decided_at=parse_utc(obj["decided_at"]),
            deadline=parse_utc(obj["deadline"]),
            decided_by=str(obj["decided_by"]),
            kind=obj.get("kind") or "decision",
            supersedes=obj.get("supersedes"),
            reason=obj.get("reason"),
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise DecodeError(f"decision {ref}: malformed ({type(exc).__name__})") from None
