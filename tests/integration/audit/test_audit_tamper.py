"""Append-only by trigger, and tamper-evident when an administrator drops the triggers.

On SQLite and PostgreSQL: UPDATE, DELETE (and TRUNCATE on PostgreSQL) are refused by the
database. Then, as an administrator could, the triggers are dropped and the log is tampered
with directly in SQL, many times at random: a field of one entry changed, an entry deleted,
one inserted, two swapped, the tail truncated, and history rewritten with every hash
recomputed. ``verify`` (and ``mash audit verify`` itself) must catch every one.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Connection, delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from mash.audit.canonical import canonical_json
from mash.audit.chain import chain_hash, entry_leaf
from mash.audit.checkpoint import Checkpoint
from mash.audit.entries import columns_of, format_instant
from mash.audit.models import ACCESS, DECISIONS
from mash.audit.store import DecisionLog, open_log
from mash.audit.verify import checkpoint_log, verify_log

MakeDecision = Callable[..., dict[str, Any]]
ENTRIES = 60

DROP_TRIGGERS = {
    "sqlite": [
        f"DROP TRIGGER {table}_no_{verb}"
        for table in ("decision_log", "access_log")
        for verb in ("update", "delete")
    ],
    "postgresql": [
        f"DROP TRIGGER {name} ON {table}"
        for table in ("decision_log", "access_log")
        for name in (f"{table}_append_only", f"{table}_no_truncate")
    ],
}


@pytest.fixture
def log(db_url: str, make_decision: MakeDecision) -> Iterator[DecisionLog]:
    with open_log(db_url) as opened:
        for start in range(0, ENTRIES, 13):
            opened.append([make_decision(i) for i in range(start, min(start + 13, ENTRIES))])
        for n in range(3):
            opened.record_access(f"auditor{n}", "show", {"decision_id": f"dec-{n:06d}"})
        yield opened


def refused(log: DecisionLog, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, log.engine.begin() as conn:
        conn.exec_driver_sql(statement)
    return str(caught.value.orig)


@pytest.mark.parametrize("table", ["decision_log", "access_log"])
def test_update_and_delete_are_refused(log: DecisionLog, table: str) -> None:
    column = "route" if table == "decision_log" else "who"
    assert "append-only" in refused(log, f"UPDATE {table} SET {column} = 'caf'")
    assert "append-only" in refused(log, f"DELETE FROM {table} WHERE seq = 1")
    assert "append-only" in refused(log, f"DELETE FROM {table}")
    assert verify_log(log).ok
    assert log.count() == ENTRIES


@pytest.mark.postgres
def test_truncate_is_refused_on_postgresql(
    postgres_log_url: str, make_decision: MakeDecision
) -> None:
    """SQLite has no TRUNCATE (its DELETE without WHERE is refused above)."""
    with open_log(postgres_log_url) as log:
        log.append([make_decision(i) for i in range(5)])
        log.record_access("auditor", "query", {})
        for table in ("decision_log", "access_log"):
            assert "append-only" in refused(log, f"TRUNCATE {table}")
        assert log.count() == 5
        assert verify_log(log).ok


# --- tampering as an administrator ---------------------------------------------------------


def drop_triggers(log: DecisionLog) -> None:
    with log.engine.begin() as conn:
        for statement in DROP_TRIGGERS[log.dialect]:
            conn.exec_driver_sql(statement)


def snapshot(log: DecisionLog) -> list[dict[str, Any]]:
    return list(log.entry_rows())


def restore(log: DecisionLog, rows: list[dict[str, Any]]) -> None:
    with log.engine.begin() as conn:
        conn.execute(delete(DECISIONS))
        conn.execute(insert(DECISIONS), rows)


def changed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([1, 500])
    if isinstance(value, float):
        return value + 0.125
    if isinstance(value, datetime):
        return value + timedelta(seconds=rng.choice([1, 3600]))
    if isinstance(value, str) and len(value) == 64:
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if value is None:
        return "edited"
    return str(value) + "x"


TAMPERABLE = [c.name for c in DECISIONS.columns if c.name != "seq"]


def at(conn: Connection, seq: int) -> dict[str, Any]:
    return dict(conn.execute(select(DECISIONS).where(DECISIONS.c.seq == seq)).one()._mapping)


def change_field(conn: Connection, rng: random.Random) -> str:
    seq = rng.randrange(1, ENTRIES + 1)
    row = at(conn, seq)
    column = rng.choice([*TAMPERABLE, "body", "body"])
    if column == "body":
        decision = json.loads(row["body"])
        decision["route"] = "universal" if decision["route"] != "universal" else "caf"
        value: Any = canonical_json(decision).decode()
    else:
        value = changed(row[column], rng)
    conn.execute(update(DECISIONS).where(DECISIONS.c.seq == seq).values({column: value}))
    return str(value if column == "decision_id" else row["decision_id"])


def delete_one(conn: Connection, rng: random.Random) -> str:
    seq = rng.randrange(1, ENTRIES)
    conn.execute(delete(DECISIONS).where(DECISIONS.c.seq == seq))
    return str(at(conn, seq + 1)["decision_id"])


def shift(conn: Connection, from_seq: int, by: int) -> None:
    """Renumber from ``from_seq`` on, in two steps so the primary key never collides."""
    c = DECISIONS.c
    conn.execute(update(DECISIONS).where(c.seq >= from_seq).values(seq=c.seq + 1_000_000))
    conn.execute(update(DECISIONS).where(c.seq >= 1_000_000).values(seq=c.seq - 1_000_000 + by))


def insert_one(conn: Connection, rng: random.Random) -> str:
    seq = rng.randrange(1, ENTRIES + 1)
    forged = dict(at(conn, seq), decision_id="forged-entry")
    shift(conn, seq, 1)
    conn.execute(insert(DECISIONS), forged)
    return "forged-entry"


def swap_two(conn: Connection, rng: random.Random) -> str:
    a, b = sorted(rng.sample(range(1, ENTRIES + 1), 2))
    c = DECISIONS.c
    conn.execute(update(DECISIONS).where(c.seq == a).values(seq=-1))
    conn.execute(update(DECISIONS).where(c.seq == b).values(seq=a))
    conn.execute(update(DECISIONS).where(c.seq == -1).values(seq=b))
    return str(at(conn, a)["decision_id"])


TAMPERINGS: dict[str, Callable[[Connection, random.Random], str]] = {
    "change one field": change_field,
    "delete one": delete_one,
    "insert one": insert_one,
    "swap two": swap_two,
}


def truncate_tail(conn: Connection, rng: random.Random) -> int:
    keep = rng.randrange(0, ENTRIES)
    conn.execute(delete(DECISIONS).where(DECISIONS.c.seq > keep))
    return keep


def rewrite_history(conn: Connection, rng: random.Random) -> None:
    """Edit one entry, fix its columns, and re-hash every entry after it: a careful forger."""
    victim = rng.randrange(1, ENTRIES + 1)
    rows = [dict(r._mapping) for r in conn.execute(select(DECISIONS).order_by(DECISIONS.c.seq))]
    previous = bytes.fromhex(rows[victim - 1]["prev_hash"])
    for row in rows[victim - 1 :]:
        decision = json.loads(row["body"])
        if row["seq"] == victim:
            decision["route"] = "universal" if decision["route"] != "universal" else "caf"
            decision["level"] = 1
        created = row["created_at"]
        created = created.replace(tzinfo=UTC) if created.tzinfo is None else created
        leaf = entry_leaf(row["seq"], format_instant(created), decision)
        entry = chain_hash(previous, leaf)
        values = {
            **columns_of(decision),
            "body": canonical_json(decision).decode(),
            "prev_hash": previous.hex(),
            "entry_hash": entry.hex(),
        }
        conn.execute(update(DECISIONS).where(DECISIONS.c.seq == row["seq"]).values(values))
        previous = entry


@pytest.fixture
def tamperable(log: DecisionLog) -> tuple[DecisionLog, list[dict[str, Any]], Checkpoint]:
    signed = checkpoint_log(log, Ed25519PrivateKey.generate(), datetime.now(UTC))
    drop_triggers(log)
    return log, snapshot(log), signed


@pytest.mark.parametrize("kind", TAMPERINGS)
def test_random_tampering_is_detected_and_the_first_bad_entry_named(
    tamperable: tuple[DecisionLog, list[dict[str, Any]], Checkpoint], kind: str
) -> None:
    log, original, signed = tamperable
    rng = random.Random(f"{kind}-{log.dialect}")
    for _ in range(15):
        with log.engine.begin() as conn:
            first_bad = TAMPERINGS[kind](conn, rng)
        report = verify_log(log)
        assert not report.ok, kind
        assert report.first is not None and report.first.decision_id == first_bad, report.first
        assert not verify_log(log, signed).ok
        restore(log, original)
        assert verify_log(log, signed).ok


def test_truncating_the_tail_is_detected_behind_a_checkpoint(
    tamperable: tuple[DecisionLog, list[dict[str, Any]], Checkpoint],
) -> None:
    log, original, signed = tamperable
    rng = random.Random(f"truncate-{log.dialect}")
    for _ in range(10):
        with log.engine.begin() as conn:
            kept = truncate_tail(conn, rng)
        assert log.count() == kept
        report = verify_log(log, signed)
        assert not report.ok
        assert "truncation or rollback" in str(report.first)
        restore(log, original)


def test_rewritten_history_is_detected_behind_a_checkpoint(
    tamperable: tuple[DecisionLog, list[dict[str, Any]], Checkpoint],
) -> None:
    log, original, signed = tamperable
    rng = random.Random(f"rewrite-{log.dialect}")
    for _ in range(8):
        with log.engine.begin() as conn:
            rewrite_history(conn, rng)
        assert verify_log(log).ok  # consistent in itself: the chain alone cannot tell
        report = verify_log(log, signed)
        assert not report.ok
        assert "no longer contains the tree" in str(report.first)
        restore(log, original)


def test_tampering_with_the_access_log_is_detected(
    tamperable: tuple[DecisionLog, list[dict[str, Any]], Checkpoint],
) -> None:
    log, _, signed = tamperable
    with log.engine.begin() as conn:
        conn.execute(update(ACCESS).where(ACCESS.c.seq == 2).values(who="someone-else"))
    report = verify_log(log)
    assert not report.ok
    assert report.first is not None and (report.first.log, report.first.seq) == ("access log", 2)
    with log.engine.begin() as conn:
        conn.execute(delete(ACCESS).where(ACCESS.c.seq >= 2))
    assert "records of who read the log were removed" in str(verify_log(log, signed).first)


def mash(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASH_HOME": str(home)}
    command = [sys.executable, "-c", "from mash.cli import main; main()", *args]
    return subprocess.run(
        command, capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_mash_audit_verify_reports_each_kind_of_tampering(
    db_url: str, tamperable: tuple[DecisionLog, list[dict[str, Any]], Checkpoint], tmp_path: Path
) -> None:
    log, original, signed = tamperable
    checkpoint_file = tmp_path / "checkpoint.json"
    checkpoint_file.write_text(signed.to_json())
    ok = mash(
        "audit", "verify", "--db", db_url, "--checkpoint", str(checkpoint_file), home=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    assert f"{ENTRIES} entries" in ok.stdout
    rng = random.Random(2026)
    attacks: dict[str, Callable[[Connection, random.Random], object]] = {
        **TAMPERINGS,
        "truncate the tail": truncate_tail,
        "rewrite history": rewrite_history,
    }
    for kind, attack in attacks.items():
        with log.engine.begin() as conn:
            first_bad = attack(conn, rng)
        done = mash(
            "audit", "verify", "--db", db_url, "--checkpoint", str(checkpoint_file), home=tmp_path
        )
        assert done.returncode == 1, (kind, done.stdout, done.stderr)
        assert "FAILED" in done.stderr
        if isinstance(first_bad, str):
            assert f"(decision {first_bad})" in done.stderr.splitlines()[0], kind
        restore(log, original)


def test_verify_on_an_empty_log_passes(db_url: str, tmp_path: Path) -> None:
    with open_log(db_url) as log, log.engine.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM decision_log")).scalar() == 0
        assert verify_log(log).ok
