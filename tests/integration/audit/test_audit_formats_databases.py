"""A hub's format-1 database, migrated and continued in format 2, on SQLite and PostgreSQL.

The committed format-1 log (tests/data/audit/format1) is imported into a database at schema
revision 0001, as the old code left it; opening it migrates it (0002 adds the format column)
and every command must then treat old and new entries alike.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import audit_fixture
from sqlalchemy import text

from mash.audit import merkle
from mash.audit.store import QueryFilter, open_log

MakeDecision = Callable[..., dict[str, Any]]


def mash(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASH_HOME": str(home), "USER": "auditor.on.duty"}
    return subprocess.run(
        [sys.executable, "-c", "from mash.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def verify(home: Path, db_url: str, *args: str) -> dict[str, Any]:
    done = mash(home, "audit", "verify", "--db", db_url, "--json", *args)
    report = json.loads(done.stdout)
    assert done.returncode == 0 and report["ok"], (done.stderr, report["problems"])
    return dict(report)


def formats(db_url: str, table: str) -> list[int]:
    with open_log(db_url) as log, log.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT format FROM {table} ORDER BY seq"))
        return [int(row.format) for row in rows]


def test_an_old_database_is_migrated_verified_and_continued_in_format_2(
    db_url: str, make_decision: MakeDecision, tmp_path: Path
) -> None:
    audit_fixture.import_format1(db_url)
    old = ("--checkpoint", str(audit_fixture.CHECKPOINT))
    trusted = ("--public-key", str(audit_fixture.PUBLIC_KEY))
    before = verify(tmp_path, db_url, *old, *trusted)  # opening it migrates it first
    expected = audit_fixture.verified()
    assert (before["entries"], before["root_hash"]) == (14, expected["root_hash"])
    assert formats(db_url, "decision_log") == [1] * 14
    assert formats(db_url, "access_log") == [1] * 2

    with open_log(db_url) as log:
        assert log.append([make_decision(i, match_score=1.0) for i in range(100, 105)]) == 5
        assert log.append([make_decision(3)]) == 0  # logged in format 1: still a duplicate
        entries = list(log.find_entries(QueryFilter()))
    assert [e["format"] for e in entries] == [1] * 14 + [2] * 5
    assert entries[14]["prev_hash"] == expected["head_hash"]
    assert entries[14]["decision"]["match_score"] == 1  # sealed in JCS: 1.0 is written 1
    shown = mash(tmp_path, "audit", "show", "dec-000003", "--db", db_url)  # a read: recorded
    assert shown.returncode == 0 and "Decision dec-000003" in shown.stdout, shown.stderr

    after = verify(tmp_path, db_url, *old, *trusted)  # the old checkpoint still holds
    assert (after["entries"], after["access_entries"]) == (19, 3)
    assert formats(db_url, "access_log") == [1, 1, 2]

    key = tmp_path / "keys" / "audit.key"
    assert mash(tmp_path, "audit", "keygen", "--out", str(key)).returncode == 0
    new = tmp_path / "checkpoint.json"
    signed = mash(
        tmp_path, "audit", "checkpoint", "--db", db_url, "--key", str(key), "--out", str(new)
    )
    assert signed.returncode == 0, signed.stderr
    head = json.loads(new.read_text())
    assert head["format"] == "mash-decision-log-checkpoint/2" and head["tree_size"] == 19
    verify(tmp_path, db_url, "--checkpoint", str(new), "--public-key", f"{key}.pub")

    for decision_id, seq in (("dec-000003", 4), ("dec-000101", 16)):  # one of each format
        done = mash(
            tmp_path, "audit", "prove", decision_id, "--db", db_url, "--checkpoint", str(new)
        )
        assert done.returncode == 0, done.stderr
        proof = json.loads(done.stdout)
        assert (proof["seq"], proof["tree_size"], proof["root_hash"]) == (
            seq,
            19,
            head["root_hash"],
        )
        assert merkle.verify_inclusion(
            proof["leaf_index"],
            proof["tree_size"],
            bytes.fromhex(proof["leaf_hash"]),
            [bytes.fromhex(h) for h in proof["proof"]],
            bytes.fromhex(proof["root_hash"]),
        )


def test_an_edited_format_column_is_caught_by_verify(db_url: str, tmp_path: Path) -> None:
    audit_fixture.import_format1(db_url)
    with open_log(db_url) as log, log.engine.begin() as conn:  # an administrator's edit
        if log.dialect == "sqlite":
            conn.exec_driver_sql("DROP TRIGGER decision_log_no_update")
        else:
            conn.exec_driver_sql("DROP TRIGGER decision_log_append_only ON decision_log")
        conn.exec_driver_sql("UPDATE decision_log SET format = 2 WHERE seq = 5")
    done = mash(tmp_path, "audit", "verify", "--db", db_url)
    assert done.returncode == 1
    assert "decision log entry 5 (decision dec-000004)" in done.stderr
