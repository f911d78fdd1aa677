"""Canonical JSON: the one byte spelling of a value that every hash in the log covers.

Why: the hash must cover exactly what was decided, and anyone (an inspector with another
tool, in another language, years later) must be able to recompute it from the decision alone.

Every entry and checkpoint says which spelling its hashes use (its *format*):

- Format 2, everything written now: RFC 8785, the JSON Canonicalization Scheme (JCS), through
  the maintained ``rfc8785`` package. Numbers are written as JavaScript writes them (a score
  of 1.0 is ``1``), keys are sorted by UTF-16 code units, the text is UTF-8. Any JCS library
  (``canonicalize`` on npm, the reference Java one) gives the same bytes.
- Format 1, entries logged before format 2: Python's ``json.dumps(sort_keys=True)``, compact,
  UTF-8. Only Python spells numbers this way (``1.0``, ``1e-05``), which is why it was
  replaced. It is kept, unchanged, so those entries keep verifying; nothing new is written in it.

What format 2 cannot hold, and the log therefore refuses (format 1 never held it either, or
held it only in Python's spelling): NaN and infinities, numbers beyond +-(2^53 - 1) (JSON
numbers are doubles: a larger integer would not survive another language's parser, and JCS
writes a larger double as digits that parse back as such an integer), text with a lone
surrogate (not Unicode), and object keys that are not text. Decisions carry integers, text,
booleans and a few fractions (a match score), all well inside these limits.
docs/audit-format.md says how to recompute both formats by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import Any, Final, NoReturn

import rfc8785

FORMAT_1: Final = 1
FORMAT_2: Final = 2
CURRENT_FORMAT: Final = FORMAT_2
FORMATS: Final = (FORMAT_1, FORMAT_2)
MAX_SAFE_INTEGER: Final = 2**53 - 1
_SCALARS: Final = frozenset({str, int, bool, type(None)})


class NotCanonical(ValueError):
    """A value that format 2 cannot spell; ``path`` names the field, never the value."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(f"{path or 'the value'} {why}")
        self.path = path
        self.why = why


def legacy_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """Format 1 as text: Python's compact, key-sorted JSON (``default`` as in json.dumps)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=default,
    )


def jcs(value: Any) -> bytes:
    """Format 2: the RFC 8785 bytes of a JSON value; NotCanonical names what it cannot hold."""
    try:
        canonical = rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, UnicodeError):  # a lone surrogate in a key: the
        # latter, raised while keys are sorted. The package's messages may quote the value;
        # ours names the field instead.
        _refuse(value)
    if _has_huge_float(value):
        _refuse(value)
    return canonical


def _refuse(value: Any) -> NoReturn:
    path, why = _first_unrepresentable(value, "") or ("", "cannot be written in RFC 8785")
    raise NotCanonical(path, why) from None


def _has_huge_float(value: Any) -> bool:
    """True when a float beyond +-(2^53 - 1) is in ``value``.

    RFC 8785 writes a double from 2^53 up to 10^21 as plain digits ("295147905179352830000"),
    which a parser (Python's, Java's) reads back as an integer beyond 2^53, which JCS refuses:
    the entry could not be re-verified from its own text. So such floats are refused like
    such integers. A walk over containers only, in the order of the C-speed type checks.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif kind is float:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return True
        elif kind not in _SCALARS:
            if isinstance(item, Mapping):
                stack.extend(item.values())
            elif isinstance(item, list | tuple):
                stack.extend(item)
            elif isinstance(item, float) and not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return True
    return False


def canonical_json(value: Any, fmt: int = CURRENT_FORMAT) -> bytes:
    """The canonical UTF-8 bytes of ``value`` in format ``fmt`` (format 2 unless told)."""
    if fmt == FORMAT_2:
        return jcs(value)
    if fmt == FORMAT_1:
        return legacy_text(value).encode("utf-8")
    raise ValueError(f"unknown canonical JSON format {fmt}")


def _key_path(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _first_unrepresentable(value: Any, path: str) -> tuple[str, str] | None:
    """Where in ``value`` (a dotted path of keys and [indexes]) JCS fails, and why."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return path, "is NaN or infinite"
    if isinstance(value, int | float) and abs(value) > MAX_SAFE_INTEGER:
        return path, "is a number beyond +-(2^53 - 1), which JSON cannot carry exactly"
    if isinstance(value, int | float):
        return None
    if isinstance(value, str):
        return None if _is_unicode(value) else (path, "is text with a lone surrogate")
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found = _first_unrepresentable(item, f"{path}[{index}]")
            if found:
                return found
        return None
    if isinstance(value, Mapping):
        return _first_unrepresentable_member(value, path)
    return path, f"is a {type(value).__name__}, not a JSON value"


def _first_unrepresentable_member(value: Mapping[Any, Any], path: str) -> tuple[str, str] | None:
    if not isinstance(value, dict):
        return path, f"is a {type(value).__name__}, not a JSON object"
    for key, item in value.items():
        if not isinstance(key, str):
            return path, "has a key that is not text"
        if not _is_unicode(key):
            return path, "has a key with a lone surrogate"
        found = _first_unrepresentable(item, _key_path(path, key))
        if found:
            return found
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
