"""The worked example of docs/audit-format.md, read out of the document itself.

Shared by the test that recomputes it in Python (tests/unit/audit) and the one that has the
JavaScript auditor recompute it (tests/integration/audit/test_audit_crosslang.py): the
document's numbers are what both check, so the page cannot drift from the code.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[1] / "docs" / "audit-format.md"
_BLOCK = re.compile(
    r"^```(?P<kind>json|text) example:(?P<name>[\w-]+)\n(?P<body>.*?)\n```$", re.M | re.S
)


def blocks() -> dict[str, str]:
    """Every tagged code block of the document, by name (``example:NAME``)."""
    return {m["name"]: m["body"] for m in _BLOCK.finditer(DOC.read_text(encoding="utf-8"))}


def json_block(name: str) -> Any:
    return json.loads(blocks()[name])


def fields(name: str) -> dict[str, str]:
    """A ``text`` block of ``name: value`` lines as a dict."""
    pairs = (line.split(": ", 1) for line in blocks()[name].splitlines() if line.strip())
    return {key: value for key, value in pairs}


def text() -> str:
    return DOC.read_text(encoding="utf-8")


def export_lines() -> list[str]:
    """The example's three entries as `mash audit export --format jsonl` would write them."""
    created_at = fields("batch")["created_at"]
    lines = []
    for seq in (1, 2, 3):
        entry = fields(f"entry-{seq}")
        record = {
            "created_at": created_at,
            "decision": json_block(f"decision-{seq}"),
            "entry_hash": entry["entry_hash"],
            "format": 2,
            "prev_hash": entry["prev_hash"],
            "seq": seq,
        }
        lines.append(json.dumps(record, sort_keys=True, ensure_ascii=False))
    return lines
