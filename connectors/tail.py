"""``mash tail``: any MASH topic as JSON Lines, like Confluent's Avro console consumer.

Which subject a topic holds follows from its name (:func:`subject_for_topic`); the payload's
own header says which version wrote it. JSON payloads (alerts, a test message typed into the
console producer) are shown as they are. A message that cannot be decoded still gets a line:
its position and the reason, so an operator can find it, never a silent gap.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime
from typing import Any

from connectors.kafka import Message
from mash.avro.decision import DECISION_SUBJECT, decision_from_avro
from mash.avro.forms import iso_instant, to_json_value
from mash.avro.registry import Registry
from mash.errors import DecodeError

_TOPIC = re.compile(
    r"mash\.(?:"
    r"referrals\.(?P<agency>police|health|council|canonical)"
    r"|records\.(?P<kind>[a-z-]+)"
    r"|(?P<decision>decisions|queue\.[a-z0-9_-]+)"
    r"|(?P<override>overrides)"
    r"|(?P<deadletter>deadletter)"
    r"|(?P<outcome>outcomes)"
    r"|(?P<feedback>feedback\.(?:police|health|council))"
    r")$"
)


def subject_for_topic(topic: str) -> str | None:
    """The subject of a MASH topic (prefix or not), or None when the name does not say."""
    match = _TOPIC.search(topic)
    if match is None:
        return None
    if match["agency"]:
        return str(match["agency"])
    if match["kind"]:
        return f"records.{match['kind']}"
    if match["decision"]:
        return DECISION_SUBJECT
    if match["override"]:
        return "override"
    if match["outcome"]:
        return "outcome"
    if match["feedback"]:
        return "feedback"
    return "deadletter"


def _key(key: bytes | None) -> str | None:
    if key is None:
        return None
    try:
        return key.decode("utf-8")
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(key).decode("ascii")


def _value(registry: Registry, subject: str | None, payload: bytes) -> Any:
    """The decoded value in JSON form; :class:`DecodeError` when there is none."""
    if payload[:1] == b"{":
        try:
            return json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise DecodeError("not Avro, and not valid JSON either") from exc
    if subject is None or subject not in registry.subjects:
        _, record = registry.decode_any(payload)
        return to_json_value(record)
    record = registry.decode(payload, subject)
    if subject == DECISION_SUBJECT:
        return decision_from_avro(record)
    return to_json_value(record)


def render(message: Message, registry: Registry, subject: str | None) -> dict[str, Any]:
    """One consumed message as the JSON object ``mash tail`` prints."""
    out: dict[str, Any] = {
        "topic": message.topic,
        "partition": message.partition,
        "offset": message.offset,
        "timestamp": (
            iso_instant(datetime.fromtimestamp(message.timestamp_ms / 1000, UTC))
            if message.timestamp_ms is not None
            else None
        ),
        "key": _key(message.key),
    }
    if message.value is None:
        out["value"] = None  # a tombstone: the key's record was deleted
        return out
    try:
        out["value"] = _value(registry, subject, message.value)
    except DecodeError as exc:
        out["error"] = str(exc)
    return out
