"""Staff events on ``mash.deadletter.events`` as JSON (one small object per event).

JSON rather than Avro: the events hold ids, names, times and a reason, are read only by the
dead-letter queue itself, and are what a person types into ``kafka-console-producer`` when
testing. Keyed on Kafka by the dead letter's id, so one dead letter's events keep their order.
"""

from __future__ import annotations

import json
from typing import Any

from mash.deadletters.model import LetterAction, LetterEvent
from mash.domain.values import as_datetime
from mash.errors import DecodeError


def encode_event(event: LetterEvent) -> bytes:
    return json.dumps(event.to_dict(), sort_keys=True).encode()


def decode_event(payload: bytes) -> LetterEvent:
    """One event; DecodeError naming the problem (never a value) for anything else."""
    try:
        data: Any = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DecodeError("dead-letter event is not JSON") from exc
    if not isinstance(data, dict):
        raise DecodeError("dead-letter event is JSON but not an object")
    try:
        at = as_datetime(data.get("at"))
        action = LetterAction(str(data.get("action")))
    except ValueError as exc:
        raise DecodeError(f"dead-letter event has a bad action or time: {exc}") from exc
    reason = data.get("reason")
    fields = (data.get("event_id"), data.get("deadletter_id"), data.get("actor"))
    if at is None or not all(isinstance(f, str) and f for f in fields):
        raise DecodeError("dead-letter event lacks event_id, deadletter_id, actor or at")
    if reason is not None and not isinstance(reason, str):
        raise DecodeError("dead-letter event reason is not text")
    event_id, letter, actor = (str(f) for f in fields)
    return LetterEvent(event_id, letter, action, actor, at, reason)
