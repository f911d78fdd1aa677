"""The canonical :class:`~mash.domain.referral.Referral` <-> the ``canonical`` subject.

The schema mirrors the dataclasses field for field (a unit test holds them together), so the
mapping is mechanical: frozensets travel as sorted arrays (a set has no order, and a sorted one
encodes to the same bytes every time), tuples of children and adults as arrays of records.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields, is_dataclass
from typing import Any

from mash.avro.framing import Wire
from mash.avro.registry import Registry
from mash.domain.referral import Adult, Child, Referral
from mash.errors import DecodeError, SchemaError

CANONICAL_SUBJECT = "canonical"


def _plain(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(value)
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
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
