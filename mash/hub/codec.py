"""Bytes on the hub's topics <-> the hub's dicts (adapter).

Queue messages may be the decision as Avro (``mash.avro.encode_decision``) or JSON; staff
events on ``mash.overrides`` are Avro of the ``override`` subject, Confluent-framed, so the
decision log's sink and any other consumer decode them with the same registry. JSON is also
read, because it is what a person types into ``kafka-console-producer`` when testing.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, cast

from mash.errors import DecodeError
from mash.hub.model import HubEvent

if TYPE_CHECKING:
    from mash.avro import Registry
    from mash.domain.decision import DecisionRecord

OVERRIDE_SUBJECT = "override"


@lru_cache(maxsize=1)
def _registry() -> Registry:
    from mash.avro import Registry

    return Registry.default()


def _json(payload: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError(f"{what} is neither Avro nor JSON") from exc
    if not isinstance(value, dict):
        raise DecodeError(f"{what} is JSON but not an object")
    return value


def decode_work_item(payload: bytes) -> dict[str, Any]:
    """A queue message as a decision dict (full or slim form)."""
    if payload[:1] == b"{":
        return _json(payload, "queue message")
    from mash.avro import decode_decision

    return dict(decode_decision(payload))


def decode_decision_message(payload: bytes) -> DecisionRecord:
    """A ``mash.decisions`` message as a decision record (its Avro checked by the schema; a
    JSON one, typed by hand for a test, is taken as it is and read with ``.get``)."""
    return cast("DecisionRecord", decode_work_item(payload))


def decode_event(payload: bytes) -> dict[str, Any]:
    """A ``mash.overrides`` message as an event dict (times may be datetimes)."""
    if payload[:1] == b"{":
        return _json(payload, "override event")
    return dict(_registry().decode(payload, OVERRIDE_SUBJECT))


def encode_event(event: HubEvent) -> bytes:
    """An event as Avro (Confluent framing), validated against the ``override`` schema."""
    registry = _registry()
    return registry.encode(OVERRIDE_SUBJECT, registry.from_json(OVERRIDE_SUBJECT, event.to_dict()))


def encode_alert(alert: dict[str, Any]) -> bytes:
    """Alerts are JSON: a small, stable shape read by people and pagers alike."""
    return json.dumps(alert, sort_keys=True).encode()
