"""The `mash audit` commands as an auditor runs them, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from datafiles import VIGNETTES

from mash.audit import queries
from mash.audit.chain import GENESIS, chain_hash, entry_leaf
from mash.audit.entries import OverrideEvent, override_entry
from mash.audit.store import open_log

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


@pytest.fixture
def filled(db_url: str, make_decision: MakeDecision) -> str:
    with open_log(db_url) as log:
        log.append([make_decision(i) for i in range(30)])
        log.append(
            [
                make_decision(
                    99,
                    kind="override",
                    action="OVERRIDE",
                    supersedes="dec-000002",
                    route="s47",
                    decided_by="sw.jones",
                    reason="Disclosure at school.",
                )
            ]
        )
    return db_url


def accesses(db_url: str) -> list[tuple[str, str, dict[str, Any]]]:
    with open_log(db_url) as log:
        return [(r["who"], r["action"], json.loads(r["detail"])) for r in log.access_rows()]


def test_keygen_checkpoint_and_verify(filled: str, tmp_path: Path) -> None:
    key = tmp_path / "keys" / "audit.key"
    made = mash(tmp_path, "audit", "keygen", "--out", str(key))
    assert made.returncode == 0, made.stderr
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert mash(tmp_path, "audit", "keygen", "--out", str(key)).returncode == 2  # no overwrite
    checkpoint = tmp_path / "checkpoint.json"
    signed = mash(
        tmp_path, "audit", "checkpoint", "--db", filled, "--key", str(key), "--out", str(checkpoint)
    )
    assert signed.returncode == 0, signed.stderr
    head = json.loads(checkpoint.read_text())
    assert head["tree_size"] == 31 and head["format"] == "mash-decision-log-checkpoint/2"
    verified = mash(
        tmp_path,
        "audit",
        "verify",
        "--db",
        filled,
        "--checkpoint",
        str(checkpoint),
        "--public-key",
        f"{key}.pub",
        "--json",
    )
    assert verified.returncode == 0, verified.stderr
    result = json.loads(verified.stdout)
    assert result["ok"] and result["entries"] == 31 and result["root_hash"] == head["root_hash"]
    stranger = tmp_path / "stranger.key"
    assert mash(tmp_path, "audit", "keygen", "--out", str(stranger)).returncode == 0
    distrusted = mash(
        tmp_path,
        "audit",
        "verify",
        "--db",
        filled,
        "--checkpoint",
        str(checkpoint),
        "--public-key",
        f"{stranger}.pub",
    )
    assert distrusted.returncode == 1
    assert "not trusted key" in distrusted.stderr


def test_checkpoint_without_a_key_says_how_to_make_one(filled: str, tmp_path: Path) -> None:
    done = mash(tmp_path, "audit", "checkpoint", "--db", filled)
    assert done.returncode == 2
    assert "mash audit keygen --out" in done.stderr


def test_show_explains_and_is_logged(filled: str, tmp_path: Path) -> None:
    shown = mash(tmp_path, "audit", "show", "dec-000002", "--db", filled, "--as", "inspector.k")
    assert shown.returncode == 0, shown.stderr
    assert "Decision dec-000002" in shown.stdout
    assert "Reason number 2 in plain words." in shown.stdout
    assert "sw.jones changed the route from caf to s47" in shown.stdout
    missing = mash(tmp_path, "audit", "show", "dec-424242", "--db", filled)
    assert missing.returncode == 2 and "no decision dec-424242" in missing.stderr
    assert accesses(filled) == [
        ("inspector.k", "show", {"decision_id": "dec-000002"}),
        ("auditor.on.duty", "show", {"decision_id": "dec-424242"}),
    ]


def test_query_filters_and_is_logged(filled: str, tmp_path: Path) -> None:
    found = mash(
        tmp_path,
        "audit",
        "query",
        "--db",
        filled,
        "--route",
        "caf",
        "--since",
        "2026-05-01",
        "--until",
        "2026-05-10",
        "--json",
    )
    assert found.returncode == 0, found.stderr
    ids = [json.loads(line)["decision_id"] for line in found.stdout.splitlines()]
    assert ids == ["dec-000002", "dec-000006"]
    by_rule = mash(tmp_path, "audit", "query", "--db", filled, "--rule", "l4.rule_0", "--json")
    assert [json.loads(x)["decision_id"] for x in by_rule.stdout.splitlines()] == [
        "dec-000000",
        "dec-000028",
    ]
    table = mash(tmp_path, "audit", "query", "--db", filled, "--child-key", "nhs:9990000007")
    assert "dec-000007" in table.stdout and "1 decision(s)" in table.stderr
    bad = mash(tmp_path, "audit", "query", "--db", filled, "--since", "last tuesday")
    assert bad.returncode == 2 and "--since must be a date" in bad.stderr
    bad_route = mash(tmp_path, "audit", "query", "--db", filled, "--route", "jail")
    assert bad_route.returncode == 2
    logged = accesses(filled)
    assert logged[0] == (
        "auditor.on.duty",
        "query",
        {"route": "caf", "since": "2026-05-01", "until": "2026-05-10"},
    )
    assert [a[1] for a in logged] == ["query", "query", "query"]  # bad usage is not a read


def test_export_csv_and_jsonl_and_jsonl_reverifies_alone(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "log.jsonl"
    done = mash(tmp_path, "audit", "export", "--db", filled, "--format", "jsonl", "--out", str(out))
    assert done.returncode == 0 and "exported 31 entries" in done.stderr
    previous = GENESIS
    for line in out.read_text().splitlines():  # an auditor's own check, without the database
        entry = json.loads(line)
        leaf = entry_leaf(entry["seq"], entry["created_at"], entry["decision"])
        assert entry["prev_hash"] == previous.hex()
        previous = chain_hash(previous, leaf)
        assert entry["entry_hash"] == previous.hex()
    as_csv = mash(tmp_path, "audit", "export", "--db", filled, "--format", "csv", "--route", "s47")
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [r["decision_id"] for r in rows] == [
        "dec-000000",
        "dec-000004",
        "dec-000008",
        "dec-000012",
        "dec-000016",
        "dec-000020",
        "dec-000024",
        "dec-000028",
        "dec-000099",
    ]
    assert rows[-1]["supersedes"] == "dec-000002" and rows[-1]["kind"] == "override"
    assert "social-care=FOUND" in rows[0]["checks"].split(";")
    assert mash(tmp_path, "audit", "export", "--db", filled, "--format", "xml").returncode == 2
    assert [(a[1], a[2]["format"]) for a in accesses(filled)] == [
        ("export", "jsonl"),
        ("export", "csv"),
    ]
    verified = mash(tmp_path, "audit", "verify", "--db", filled)
    assert verified.returncode == 0 and "Access log: 2 records" in verified.stdout


def test_prove_gives_an_inclusion_proof_anyone_can_check(filled: str, tmp_path: Path) -> None:
    from mash.audit import merkle

    done = mash(tmp_path, "audit", "prove", "dec-000017", "--db", filled)
    assert done.returncode == 0, done.stderr
    proof = json.loads(done.stdout)
    assert (proof["seq"], proof["tree_size"]) == (18, 31)
    path = [bytes.fromhex(h) for h in proof["proof"]]
    leaf, root = bytes.fromhex(proof["leaf_hash"]), bytes.fromhex(proof["root_hash"])
    assert merkle.verify_inclusion(proof["leaf_index"], proof["tree_size"], leaf, path, root)
    verified = json.loads(mash(tmp_path, "audit", "verify", "--db", filled, "--json").stdout)
    assert verified["root_hash"] == proof["root_hash"]


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("verify", "checkpoint", "keygen", "show", "query", "export", "prove"):
        done = mash(tmp_path, "audit", command, "--help")
        assert done.returncode == 0 and "Usage" in done.stdout, command
    assert "--until-idle" in mash(tmp_path, "sink", "--help").stdout


def route_vignettes() -> list[dict[str, Any]]:
    """Every vignette child decided by the real router, as the stream would log it."""
    from mash.agencies import to_referral
    from mash.domain.decision import decision_to_dict
    from mash.domain.records import RecordIndex
    from mash.domain.routing import Router
    from mash.rules import load_rules

    index = RecordIndex()
    for kind in ("social-care", "early-help", "police", "health"):
        lines = (VIGNETTES / "records" / f"{kind}.jsonl").read_text().splitlines()
        index.load(kind, [json.loads(line) for line in lines if line.strip()])  # type: ignore[arg-type]
    router = Router(load_rules(), index)
    received = datetime(2026, 5, 20, 9, 30, tzinfo=UTC)
    decisions = []
    for agency in ("police", "health", "council"):
        for line in (VIGNETTES / f"{agency}.jsonl").read_text().splitlines():
            if line.strip():
                referral = to_referral(agency, json.loads(line), received)
                decisions += [decision_to_dict(d) for d in router.decide(referral, received)]
    return decisions


def test_show_explains_every_vignette_decision_to_a_social_worker(
    db_url: str, tmp_path: Path
) -> None:
    decisions = route_vignettes()
    assert len(decisions) >= 10
    first = decisions[0]
    event = OverrideEvent.from_mapping(
        {
            "event_id": "evt-v1",
            "decision_id": first["decision_id"],
            "action": "OVERRIDE",
            "route": "assessment",
            "reason": "Strategy discussion held; s17 assessment agreed.",
            "actor": "tm.patel",
            "at": "2026-05-20T15:00:00Z",
        }
    )
    request = override_entry(event, first)  # a step down from s47: it waits for a manager
    approval = OverrideEvent.from_mapping(
        {
            "event_id": "evt-v2",
            "decision_id": first["decision_id"],
            "action": "APPROVE",
            "route": "assessment",
            "actor": "tm.lee",
            "at": "2026-05-20T15:30:00Z",
        }
    )
    with open_log(db_url) as log:
        log.append(decisions)
        log.append([request, override_entry(approval, first)])
    with open_log(db_url) as log:  # the command's own code, in-process for speed
        texts = {
            d["decision_id"]: queries.show(log, d["decision_id"], "sw.test") for d in decisions
        }
    for decision in decisions:
        text = texts[decision["decision_id"]]
        assert f"{decision['agency']} referral {decision['source_id']}" in text
        assert f"Proposed route: {decision['route']} (" in text
        for rule in decision["rules"]:
            assert rule["reason"] in text and f"rule {rule['id']}" in text
        for name in ("Children's social care", "Early help", "Police", "Health"):
            assert f"  - {name}: " in text
        assert "Identity: " in text and "Deadline: " in text
        for flag in decision["flags"]:
            assert f"  - {flag}: " in text
    shown = mash(tmp_path, "audit", "show", first["decision_id"], "--db", db_url)
    assert shown.returncode == 0, shown.stderr
    assert "tm.patel asked for the route assessment, awaiting approval" in shown.stdout
    assert "Reason: Strategy discussion held; s17 assessment agreed." in shown.stdout
    assert "tm.lee approved the route assessment" in shown.stdout
    assert "Route now: assessment" in shown.stdout
