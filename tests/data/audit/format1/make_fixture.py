"""How the committed format-1 decision log in this folder was made (kept as a record).

It ran ONCE, on commit 40e6432 of main, before format 2 existed: the code that wrote these
entries is the format-1 code (Python's ``json.dumps(sort_keys=True)`` as the hash input).
Run today, it would write a format-2 log, so do not re-run it to "refresh" the fixture: the
point of the fixture is that it was written by the old code and must keep verifying.

    .venv/bin/python tests/data/audit/format1/make_fixture.py tests/data/audit/format1

What it leaves behind:
- ``decisions.jsonl``: ``mash audit export --format jsonl`` of the log (14 entries);
- ``access.jsonl``: the access log's rows (who read what, when), as the database holds them;
- ``checkpoint.json``: a checkpoint signed after 12 entries and 1 read (``mash audit checkpoint``);
- ``checkpoint.pub``: the public key of that checkpoint (the private key was thrown away);
- ``verify.json``: ``mash audit verify --json`` of the finished log (Merkle root, chain head).

The decisions are the tests' synthetic samples (no personal data), some with facts chosen
where format 1 and RFC 8785 write different bytes: integral floats (a match score of 1.0),
small and large floats, negative zero, an integer beyond 2^53, control characters, and keys
outside the Basic Multilingual Plane (sorted by code point in format 1, by UTF-16 in JCS).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[2]))  # tests/, for audit_samples

from audit_samples import sample_decision  # noqa: E402

from mash.audit.store import open_log  # noqa: E402

EDGE_FACTS = {
    "ratio_small": 1e-05,
    "ratio_tiny": 1.5e-07,
    "large_float": 1e16,
    "huge_float": 1.2345e21,
    "negative_zero": -0.0,
    "sum": 0.1 + 0.2,
    "beyond_2_53": 2**64 + 1,
    "controls": "tab\there, line\nbreak, bell\x07, del\x7f, sep\u2028, e\u0301, \U0001f600",
    "\ue000private": 1,
    "\U0001f600emoji": 2,
}


def decisions() -> list[list[dict[str, object]]]:
    """Three batches: so entries carry three different created_at times."""
    first = [sample_decision(i) for i in range(8)]
    first[1]["facts"] = {**first[1]["facts"], **EDGE_FACTS}
    first[5]["match_score"] = 0.875
    second = [sample_decision(i) for i in range(8, 12)]
    second[2]["facts"] = {"score_as_float": 3.0, "nested": [{"x": 2.5, "y": [1.0, -1.0]}]}
    override = sample_decision(
        40,
        kind="override",
        action="OVERRIDE",
        supersedes="dec-000002",
        route="s47",
        decided_by="sw.fixture",
        reason="Disclosure at school.",
    )
    third = [override, sample_decision(12)]
    return [first, second, third]


def mash(home: Path, *args: str) -> str:
    env = {**os.environ, "MASH_HOME": str(home), "USER": "auditor.fixture"}
    done = subprocess.run(
        [sys.executable, "-c", "from mash.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return done.stdout


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = f"sqlite:///{home / 'decisions.db'}"
        key = home / "checkpoint.key"
        first, second, third = decisions()
        with open_log(db) as log:
            log.append(first)
            log.append(second)
        mash(home, "audit", "show", "dec-000003", "--db", db)
        mash(home, "audit", "keygen", "--out", str(key))
        mash(
            home,
            "audit",
            "checkpoint",
            "--db",
            db,
            "--key",
            str(key),
            "--out",
            str(out / "checkpoint.json"),
        )
        (out / "checkpoint.pub").write_bytes(Path(f"{key}.pub").read_bytes())
        with open_log(db) as log:
            log.append(third)
        mash(
            home,
            "audit",
            "export",
            "--db",
            db,
            "--format",
            "jsonl",
            "--out",
            str(out / "decisions.jsonl"),
        )
        with open_log(db) as log:
            rows = list(log.access_rows())
        with (out / "access.jsonl").open("w", encoding="utf-8") as stream:
            for row in rows:
                row["at"] = row["at"].isoformat()
                stream.write(json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n")
        (out / "verify.json").write_text(mash(home, "audit", "verify", "--db", db, "--json"))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
