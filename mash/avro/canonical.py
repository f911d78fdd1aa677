"""The canonical :class:`~mash.domain.referral.Referral` <-> the ``canonical`` subject.

The schema mirrors the dataclasses field for field (a unit test holds them together), so the
mapping is mechanical: frozensets travel as sorted arrays (a set has no order, and a sorted one
encodes to the same bytes every time), tuples of children and adults as arrays of records.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any

from mash.avro.framing import Wire
from mash.avro.registry import Registry
from mash.domain.referral import Adult, Child, Referral
from mash.errors import DecodeError, SchemaError

CANONICAL_SUBJECT = "canonical"


# Values fastavro takes as they are: no call needed for them (a referral has ~40 fields and
# every referral is converted once in the worker, so the per-value cost adds up).
_AS_IS = frozenset({str, int, float, bool, type(None), date, datetime})
_FIELDS: dict[type, tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]] | None] = {}


def _fields_of(kind: type) -> tuple[tuple[str, ...], Callable[[Any], tuple[Any, ...]]] | None:
    """A dataclass type's field names and a getter of their values (built once per type);
    ``None`` for any other type."""
    if kind in _FIELDS:
        return _FIELDS[kind]
    found = None
    if is_dataclass(kind):
        names = tuple(f.name for f in fields(kind))
        found = names, _values_getter(names)
    _FIELDS[kind] = found
    return found


def _values_getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    if len(names) > 1:
        return operator.attrgetter(*names)
    return lambda obj: tuple(getattr(obj, name) for name in names)


def _plain(value: Any) -> Any:
    shape = _fields_of(type(value))
    if shape is not None:
        names, values = shape
        return {
            name: item if type(item) in _AS_IS else _plain(item)
            for name, item in zip(names, values(value), strict=True)
        }
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [item if type(item) in _AS_IS else _plain(item) for item in value]
    return value


def referral_to_avro(referral: Referral) -> dict[str, Any]:
    """A referral in the Avro form of the ``canonical`` subject."""
    record: dict[str, Any] = _plain(referral)
    return record


def referral_from_avro(record: Mapping[str, Any]) -> Referral:
    """A referral from the Avro form of the ``canonical`` subject."""
    try:
        values = dict(record)
        values["children"] = tuple(Child(**child) for child in record["children"])
        values["adults"] = tuple(Adult(**adult) for adult in record["adults"])
        values["concern_codes"] = frozenset(record["concern_codes"])
        values["health_indicators"] = frozenset(record["health_indicators"])
        return Referral(**values)
    except (KeyError, TypeError) as exc:
        source_id = record.get("source_id", "?")
        raise DecodeError(f"canonical referral {source_id}: does not match the model") from exc


def encode_referral(
    referral: Referral,
    *,
    registry: Registry | None = None,
    wire: Wire | str = Wire.CONFLUENT,
) -> bytes:
    """A canonical referral as one framed Avro message (Confluent framing by default)."""
    reg = registry if registry is not None else Registry.default()
    try:
        return reg.encode(CANONICAL_SUBJECT, referral_to_avro(referral), wire=wire)
    except SchemaError as exc:
        raise SchemaError(f"canonical referral {referral.source_id}: {exc}") from exc


def decode_referral(payload: bytes, *, registry: Registry | None = None) -> Referral:
    """One framed ``canonical`` message (either framing) -> the referral."""
    reg = registry if registry is not None else Registry.default()
    return referral_from_avro(reg.decode(payload, CANONICAL_SUBJECT))
