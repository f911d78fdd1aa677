"""The committed format-1 decision log (tests/data/audit/format1), read back and re-imported.

Why: the log must keep verifying entries that older code wrote. The fixture was written once
by the format-1 code (see make_fixture.py beside it); these helpers turn its export back into
the rows that code stored, in memory (unit tests) or in a database at schema revision 0001
(integration tests), which ``open_log`` then migrates as it would a real hub's database.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FORMAT1 = Path(__file__).parent / "data" / "audit" / "format1"
EXPORT = FORMAT1 / "decisions.jsonl"
CHECKPOINT = FORMAT1 / "checkpoint.json"
PUBLIC_KEY = FORMAT1 / "checkpoint.pub"


def _instant(text: str) -> datetime:
    """An ISO time as the database hands it back; a time without a zone is UTC (SQLite)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSON Lines file: split at \\n only, since the text may hold U+2028
    (``str.splitlines`` would split there, inside a string)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return [json.loads(line) for line in lines if line.strip()]


def exported() -> list[dict[str, Any]]:
    """The export's entries (``mash audit export --format jsonl`` of the format-1 log)."""
    return jsonl(EXPORT)


def verified() -> dict[str, Any]:
    """``mash audit verify --json`` of the log, as the format-1 code reported it."""
    return dict(json.loads((FORMAT1 / "verify.json").read_text()))


def decision_rows() -> list[dict[str, Any]]:
    """The decision_log rows the format-1 code stored (no format column: it had none)."""
    from mash.audit.canonical import legacy_text
    from mash.audit.entries import columns_of

    return [
        {
            **columns_of(entry["decision"]),
            "seq": entry["seq"],
            "body": legacy_text(entry["decision"]),
            "created_at": _instant(entry["created_at"]),
            "prev_hash": entry["prev_hash"],
            "entry_hash": entry["entry_hash"],
        }
        for entry in exported()
    ]


def access_rows() -> list[dict[str, Any]]:
    """The access_log rows the format-1 code stored."""
    return [{**row, "at": _instant(row["at"])} for row in jsonl(FORMAT1 / "access.jsonl")]


def checkpoint() -> Any:
    """The format-1 checkpoint signed after 12 entries and 1 read."""
    from mash.audit.checkpoint import load_checkpoint

    return load_checkpoint(CHECKPOINT)


def public_key() -> Ed25519PublicKey:
    from mash.audit.checkpoint import load_public_key

    return load_public_key(PUBLIC_KEY)


def import_format1(url: str) -> None:
    """Create the log at schema revision 0001 (the format-1 code's) and insert the fixture.

    ``open_log(url)`` afterwards migrates it to the newest revision, as it would the
    database of a hub that logged with the old code.
    """
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import insert

    from mash.audit.models import ACCESS, DECISIONS
    from mash.audit.store import MIGRATIONS, make_engine

    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            command.upgrade(config, "0001")
            conn.execute(insert(DECISIONS), decision_rows())
            conn.execute(insert(ACCESS), access_rows())
    finally:
        engine.dispose()
