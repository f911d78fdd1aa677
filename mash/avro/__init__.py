"""Avro schemas of ``schemas/``, wire framings, encode/decode and compatibility.

Public API (imported lazily, so ``mash --help`` does not pay for fastavro)::

    reg = Registry.default()                      # every subject of schemas/subjects.yaml
    record = reg.from_json("police", obj)         # JSON form -> Avro form, checked
    payload = reg.encode("police", record, wire="single-object")
    record = reg.decode(payload, "police")        # either framing, resolved to the newest
    reg.validate("records.health", record)
    for rec in read_container(path): ...
    encode_decision(d) / decode_decision(b)       # the decision dict
    encode_deadletter(deadletter_record(...))     # undecodable input, kept whole
    encode_referral(r) / decode_referral(b)       # the canonical Referral

Every decoding failure is a :class:`mash.errors.DecodeError`; every record that does not fit its
schema a :class:`mash.errors.SchemaError`. Neither message ever quotes a value.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mash.avro.canonical import (
        decode_referral,
        encode_referral,
        referral_from_avro,
        referral_to_avro,
    )
    from mash.avro.container import (
        container_schema,
        is_container,
        read_container,
        read_container_stream,
        write_container,
    )
    from mash.avro.deadletter import deadletter_record, decode_deadletter, encode_deadletter
    from mash.avro.decision import (
        decision_from_avro,
        decision_to_avro,
        decode_decision,
        encode_decision,
    )
    from mash.avro.framing import Wire
    from mash.avro.registry import Compatibility, Registry, SchemaVersion, Subject

_EXPORTS = {
    "Registry": "mash.avro.registry",
    "SchemaVersion": "mash.avro.registry",
    "Subject": "mash.avro.registry",
    "Compatibility": "mash.avro.registry",
    "Wire": "mash.avro.framing",
    "read_container": "mash.avro.container",
    "write_container": "mash.avro.container",
    "read_container_stream": "mash.avro.container",
    "container_schema": "mash.avro.container",
    "is_container": "mash.avro.container",
    "encode_decision": "mash.avro.decision",
    "decode_decision": "mash.avro.decision",
    "decision_to_avro": "mash.avro.decision",
    "decision_from_avro": "mash.avro.decision",
    "encode_referral": "mash.avro.canonical",
    "deadletter_record": "mash.avro.deadletter",
    "encode_deadletter": "mash.avro.deadletter",
    "decode_deadletter": "mash.avro.deadletter",
    "decode_referral": "mash.avro.canonical",
    "referral_to_avro": "mash.avro.canonical",
    "referral_from_avro": "mash.avro.canonical",
}

__all__ = [
    "Compatibility",
    "Registry",
    "SchemaVersion",
    "Subject",
    "Wire",
    "container_schema",
    "deadletter_record",
    "decision_from_avro",
    "decision_to_avro",
    "decode_deadletter",
    "decode_decision",
    "decode_referral",
    "encode_deadletter",
    "encode_decision",
    "encode_referral",
    "is_container",
    "read_container",
    "read_container_stream",
    "referral_from_avro",
    "referral_to_avro",
    "write_container",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mash.avro' has no attribute {name!r}")
    return getattr(import_module(module), name)
