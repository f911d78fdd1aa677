"""The decision record (``mash.domain.decision.DecisionRecord``, what ``decision_to_dict``
returns) <-> the ``decision`` subject.

Rule evidence, check details and facts travel as JSON text inside the Avro record: their shape
follows the rule set (a new rule may cite a new fact), and a schema change per rule change would
make the rule set hostage to the schema. Everything with a fixed shape is typed.

Times are ISO-8601 strings in the dict and ``timestamp-micros`` on the wire; decoding writes
them back as UTC with ``Z`` (the hub's one time format), microseconds only when non-zero.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

import orjson

from mash.avro.forms import iso_instant
from mash.avro.framing import Wire
from mash.avro.registry import Registry
from mash.domain.decision import DecisionRecord
from mash.errors import DecodeError, SchemaError

DECISION_SUBJECT = "decision"
_TIMES = ("received_at", "decided_at", "deadline")
_JSON_TEXT = ("check_details", "facts")


_JSON_TEXT_OPTIONS = (
    orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)
"""orjson rather than the standard library: every decision packs two or more JSON texts, and
``json`` took about 7% of the worker's time (py-spy). The text is only ever parsed back (the
log's hashes are computed over the decoded values), so its spelling may differ from
``json.dumps``; keys stay sorted. Times and dataclasses are refused, not stringified, as the
standard library would; a non-finite float becomes ``null`` (JSON has no NaN), where the
standard library would refuse the decision and send a child's referral to the dead letters."""


def _dumps(value: Any, where: str, decision_id: str) -> str:
    try:
        return orjson.dumps({} if value is None else value, option=_JSON_TEXT_OPTIONS).decode()
    except TypeError as exc:
        raise SchemaError(f"decision {decision_id}: {where} is not JSON-serialisable") from exc


def _loads(text: str, where: str, decision_id: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DecodeError(f"decision {decision_id}: {where} is not JSON") from exc


def _instant(value: Any, where: str, decision_id: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError as exc:
        raise SchemaError(f"decision {decision_id}: {where} is not an ISO-8601 time") from exc
    if not isinstance(moment, datetime):
        raise SchemaError(f"decision {decision_id}: {where} is not a time")
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def decision_to_avro(decision: Mapping[str, Any]) -> dict[str, Any]:
    """Decision dict -> Avro form of the ``decision`` subject (JSON text packed, times parsed)."""
    decision_id = str(decision.get("decision_id", "?"))
    record = dict(decision)
    record["rules"] = [
        {
            **{k: v for k, v in rule.items() if k != "evidence"},
            "evidence": _dumps(rule.get("evidence"), f"rules[{i}].evidence", decision_id),
        }
        for i, rule in enumerate(decision.get("rules") or ())
    ]
    for name in _JSON_TEXT:
        record[name] = _dumps(decision.get(name), name, decision_id)
    for name in _TIMES:
        if name in record:
            record[name] = _instant(record[name], name, decision_id)
    if "flags" in record:
        record["flags"] = list(record["flags"])
    return record


def decision_from_avro(record: Mapping[str, Any]) -> DecisionRecord:
    """Avro form -> the decision record, in the field order of the contract (the schema has
    checked every typed field; the JSON texts are parsed here)."""
    decision_id = str(record.get("decision_id", "?"))
    out = dict(record)
    out["rules"] = [
        {**rule, "evidence": _loads(rule["evidence"], f"rules[{i}].evidence", decision_id)}
        for i, rule in enumerate(record["rules"])
    ]
    for name in _JSON_TEXT:
        out[name] = _loads(record[name], name, decision_id)
    for name in _TIMES:
        out[name] = iso_instant(record[name])
    out["checks"] = dict(record["checks"])
    return cast(DecisionRecord, out)


def _registry(registry: Registry | None) -> Registry:
    return registry if registry is not None else Registry.default()


def encode_decision(
    decision: DecisionRecord,
    *,
    registry: Registry | None = None,
    wire: Wire | str = Wire.CONFLUENT,
) -> bytes:
    """A decision dict as one framed Avro message (Confluent framing by default).

    :class:`SchemaError` names the decision id and the field at fault, never a value.
    """
    reg = _registry(registry)
    record = decision_to_avro(decision)
    try:
        return reg.encode(DECISION_SUBJECT, record, wire=wire)
    except SchemaError as exc:
        raise SchemaError(f"decision {decision.get('decision_id', '?')}: {exc}") from exc


def decode_decision(payload: bytes, *, registry: Registry | None = None) -> DecisionRecord:
    """One framed ``decision`` message (either framing) -> the decision record."""
    reg = _registry(registry)
    return decision_from_avro(reg.decode(payload, DECISION_SUBJECT))
