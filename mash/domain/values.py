"""Typed values from the two forms an input arrives in: JSON (ISO strings) or Avro-decoded
(``date``/``datetime`` objects).

Every converter raises ``ValueError`` with a message of its own that never repeats the value
(a date of birth or a name must not reach a log); callers add the field path and the record's
id and re-raise as a :mod:`mash.errors` type.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any


@lru_cache(maxsize=65_536)
def _date_from_text(text: str) -> date:
    # Cached: a population shares a few thousand birth dates, and sharing the objects keeps
    # a million records small.
    return date.fromisoformat(text.strip())


def as_date(value: Any) -> date | None:
    """A calendar date, or ``None`` for null/blank. Datetimes lose their time of day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return _date_from_text(value)
        except ValueError:
            raise ValueError("is not an ISO-8601 date") from None
    raise ValueError("is not a date")


def as_utc(moment: datetime) -> datetime:
    """The same instant in UTC; a naive time is taken to be UTC already (agency systems that
    omit the offset write UTC, and guessing local time would shift deadlines by an hour)."""
    if moment.tzinfo is UTC:
        return moment
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


@lru_cache(maxsize=16_384)
def _datetime_from_text(text: str) -> datetime:
    return as_utc(datetime.fromisoformat(text.strip()))


def as_datetime(value: Any) -> datetime | None:
    """An aware UTC instant, or ``None`` for null/blank."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            return _datetime_from_text(value)
        except ValueError:
            raise ValueError("is not an ISO-8601 date-time") from None
    raise ValueError("is not a date-time")


def as_text(value: Any) -> str | None:
    """A string field, or ``None``. Numbers are accepted for ids (some systems send ints)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise ValueError("is not text")


def as_bool(value: Any) -> bool | None:
    """A boolean, or ``None`` when not said. Strings such as ``"yes"`` are refused: a wrong
    guess about a safeguarding flag is worse than a rejected referral."""
    if value is None or isinstance(value, bool):
        return value
    raise ValueError("is not true or false")


def as_int(value: Any) -> int | None:
    """A whole number (a float with no fraction is accepted), or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise ValueError("is not a whole number")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise ValueError("is not a whole number")


def as_float(value: Any) -> float | None:
    """A number, or ``None``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("is not a number")
    return float(value)


def as_code(value: Any) -> str | None:
    """An enum symbol or code: trimmed and upper-cased (``high`` -> ``HIGH``), or ``None``."""
    text = as_text(value)
    if text is None:
        return None
    code = text.strip().upper()
    return code or None
