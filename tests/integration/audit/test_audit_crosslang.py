"""An auditor in another language recomputes the log and reaches the same Merkle root.

tests/crosslang/verify_log.mjs follows docs/audit-format.md with Node's crypto and the
`canonicalize` package from npm (RFC 8785, pinned at 5.1.0 by its package-lock.json), and
none of our code. It reads `mash audit export --format jsonl`, recomputes every entry hash,
the chain and the RFC 6962 root, and checks checkpoints and inclusion proofs. Here it must
agree with `mash audit verify` on the committed format-1 log, on that log continued in
format 2, on numbers and text where spellings differ, and on the document's own example.

Node 20 or later and npm are needed; the npm package is installed into tests/crosslang
(node_modules, ignored by git) when missing. Without them the tests skip, unless
MASH_REQUIRE_NODE=1 (CI), where they fail.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import struct
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import audit_fixture
import audit_format_doc
import pytest

from mash.audit.canonical import MAX_SAFE_INTEGER
from mash.audit.store import open_log

CROSSLANG = Path(__file__).resolve().parents[2] / "crosslang"
SCRIPT = CROSSLANG / "verify_log.mjs"
REQUIRE_NODE = "MASH_REQUIRE_NODE"
CANONICALIZE = "5.1.0"

MakeDecision = Callable[..., dict[str, Any]]


@dataclass(frozen=True)
class NodeAuditor:
    """verify_log.mjs run by one Node binary."""

    node: str

    def run(self, export: Path, *options: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [self.node, str(SCRIPT), str(export), *options],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def __call__(self, export: Path, *options: str) -> dict[str, Any]:
        """The script's report on ``export``; it must have found nothing wrong."""
        done = self.run(export, *options)
        assert done.returncode == 0, done.stderr
        return dict(json.loads(done.stdout))


def _unavailable(reason: str) -> NoReturn:
    """Fail when CI says Node is required, skip otherwise (as the broker and databases do)."""
    if os.environ.get(REQUIRE_NODE) == "1":
        pytest.fail(f"{reason} ({REQUIRE_NODE}=1)", pytrace=False)
    pytest.skip(reason)


def _installed_version() -> str | None:
    manifest = CROSSLANG / "node_modules" / "canonicalize" / "package.json"
    try:
        return str(json.loads(manifest.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def _npm_ci(npm: str) -> None:
    done = subprocess.run(
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund"],
        cwd=CROSSLANG,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0 or _installed_version() != CANONICALIZE:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        _unavailable(f"npm ci in tests/crosslang failed: {last}")


@pytest.fixture(scope="session")
def node_auditor() -> NodeAuditor:
    """Node 20+ with canonicalize installed, or a skip (a failure under MASH_REQUIRE_NODE=1)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _unavailable("node and npm are needed for the cross-language check of the log")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    major = int(version.lstrip("v").split(".")[0] or 0)
    if major < 20:
        _unavailable(f"node {version} is too old: canonicalize {CANONICALIZE} needs Node 20+")
    if _installed_version() != CANONICALIZE:
        _npm_ci(npm)
    return NodeAuditor(node)


def mash(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MASH_HOME": str(home), "USER": "auditor.on.duty"}
    done = subprocess.run(
        [sys.executable, "-c", "from mash.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def python_report(home: Path, db_url: str) -> dict[str, Any]:
    report = json.loads(mash(home, "audit", "verify", "--db", db_url, "--json").stdout)
    assert report["ok"], report["problems"]
    return dict(report)


def export(home: Path, db_url: str) -> Path:
    out = home / "export.jsonl"
    mash(home, "audit", "export", "--db", db_url, "--format", "jsonl", "--out", str(out))
    return out


def test_node_recomputes_the_committed_format_1_log(node_auditor: NodeAuditor) -> None:
    report = node_auditor(audit_fixture.EXPORT, "--checkpoint", str(audit_fixture.CHECKPOINT))
    expected = audit_fixture.verified()
    assert report["formats"] == {"1": 14}
    assert (report["root_hash"], report["head_hash"]) == (
        expected["root_hash"],
        expected["head_hash"],
    )
    assert report["checkpoints"][0]["format"] == "mash-decision-log-checkpoint/1"


def test_node_refuses_an_edited_export(node_auditor: NodeAuditor, tmp_path: Path) -> None:
    """Not a rubber stamp: one value changed in one entry, and the script names that entry."""
    lines = audit_fixture.EXPORT.read_text(encoding="utf-8").split("\n")
    assert '"route": "caf"' in lines[6]
    lines[6] = lines[6].replace('"route": "caf"', '"route": "universal"')
    edited = tmp_path / "edited.jsonl"
    edited.write_text("\n".join(lines), encoding="utf-8")
    done = node_auditor.run(edited)
    assert done.returncode == 1 and "FAILED: entry 7 (format 1)" in done.stderr


def test_node_recomputes_a_format_1_log_continued_in_format_2(
    node_auditor: NodeAuditor, db_url: str, make_decision: MakeDecision, tmp_path: Path
) -> None:
    audit_fixture.import_format1(db_url)
    with open_log(db_url) as log:
        log.append([make_decision(i, match_score=1.0) for i in range(100, 104)])
        log.append([make_decision(i) for i in range(104, 110)])
    key = tmp_path / "audit.key"
    mash(tmp_path, "audit", "keygen", "--out", str(key))
    checkpoint = tmp_path / "checkpoint.json"
    mash(
        tmp_path, "audit", "checkpoint", "--db", db_url, "--key", str(key), "--out", str(checkpoint)
    )
    proofs = []
    for decision_id in ("dec-000001", "dec-000107"):
        proof = tmp_path / f"{decision_id}.proof.json"
        done = mash(
            tmp_path, "audit", "prove", decision_id, "--db", db_url, "--checkpoint", str(checkpoint)
        )
        proof.write_text(done.stdout)
        proofs += ["--proof", str(proof)]
    python = python_report(tmp_path, db_url)
    node = node_auditor(
        export(tmp_path, db_url),
        "--checkpoint",
        str(audit_fixture.CHECKPOINT),
        "--checkpoint",
        str(checkpoint),
        *proofs,
    )
    assert node["formats"] == {"1": 14, "2": 10}
    assert (node["root_hash"], node["head_hash"]) == (python["root_hash"], python["head_hash"])
    assert [c["format"][-1] for c in node["checkpoints"]] == ["1", "2"]
    assert [p["leaf_index"] for p in node["proofs"]] == [1, 21]


def awkward_numbers(rng: random.Random, count: int) -> list[float]:
    """Doubles the log accepts, from every corner: the edges, fractions of every magnitude
    where fixed and exponent notation meet, and random bit patterns from subnormals up to
    2^53 (beyond that the log refuses numbers; canonical.py says why)."""
    numbers = [0.0, -0.0, 1.0, -1.0, 0.1, 1 / 3, 1e-7, 1e-6, 1e-5, 1e15, 1e15 + 0.5, 5e-324]
    numbers += [float(MAX_SAFE_INTEGER), 2.0**52 + 0.5, 123456789.0, 1e16 / 3]
    numbers += [rng.uniform(-1, 1) * 10 ** rng.randint(-9, 15) for _ in range(count // 3)]
    while len(numbers) < count:
        (value,) = struct.unpack(">d", rng.getrandbits(64).to_bytes(8, "big"))
        if abs(value) <= MAX_SAFE_INTEGER:  # false for NaN too
            numbers.append(value)
    return numbers


def test_node_agrees_where_the_spellings_of_numbers_and_text_differ(
    node_auditor: NodeAuditor, db_url: str, make_decision: MakeDecision, tmp_path: Path
) -> None:
    rng = random.Random(8785)
    numbers = awkward_numbers(rng, 400)
    text = "".join(chr(c) for c in [*range(0x20), 0x7F, 0x80, 0x2028, 0x2029, 0xFEFF, 0x1F600])
    decisions = [
        make_decision(
            i,
            match_score=rng.choice([1.0, 0.0, 0.5, 1 / 3]),
            facts={
                "numbers": numbers[i * 40 : (i + 1) * 40],
                "integers": [rng.randint(-(2**53) + 1, 2**53 - 1) for _ in range(5)],
                "text": text,
                "\ue000": "after U+FFFF in UTF-16 order, before it by code point",
                "\U0001f600": "emoji key",
                'quote"back\\slash': ["\\", '"', "/"],
            },
        )
        for i in range(10)
    ]
    with open_log(db_url) as log:
        log.append(decisions)
    python = python_report(tmp_path, db_url)
    node = node_auditor(export(tmp_path, db_url))
    assert node["formats"] == {"2": 10}
    assert node["root_hash"] == python["root_hash"]


def test_node_recomputes_the_documented_example(node_auditor: NodeAuditor, tmp_path: Path) -> None:
    exported = tmp_path / "example.jsonl"
    exported.write_text("\n".join(audit_format_doc.export_lines()) + "\n", encoding="utf-8")
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(json.dumps(audit_format_doc.json_block("checkpoint")))
    node = node_auditor(exported, "--checkpoint", str(checkpoint))
    assert node["root_hash"] == audit_format_doc.fields("tree")["root_hash"]
    assert node["head_hash"] == audit_format_doc.fields("entry-3")["entry_hash"]
    assert node["checkpoints"][0]["key_id"] == audit_format_doc.json_block("checkpoint")["key_id"]
