"""Canonical JSON: the one byte spelling of a value that every hash in the log covers.

Why: the hash must cover exactly what was decided, and anyone (an inspector with another
tool, years later) must be able to recompute it. Keys sorted, no spaces, UTF-8, no NaN.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def canonical_text(value: Any, default: Callable[[Any], Any] | None = None) -> str:
    """Canonical JSON as text; ``default`` converts what JSON cannot hold (or TypeError)."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=default,
    )


def canonical_json(value: Any) -> bytes:
    """Canonical JSON as UTF-8 bytes."""
    return canonical_text(value).encode("utf-8")
