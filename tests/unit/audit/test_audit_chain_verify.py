"""The hash chain and verification, on rows in memory (no database): every tampering shows.

The database tests repeat the tamperings through SQL on SQLite and PostgreSQL; here the same
kinds run many times fast, including the clever attacker who re-hashes the chain after an
edit (caught only by a signed checkpoint, which is why checkpoints exist).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mash.audit import merkle
from mash.audit.canonical import FORMAT_1, FORMAT_2, canonical_json
from mash.audit.chain import (
    GENESIS,
    access_leaf,
    chain_hash,
    decision_leaf,
    entry_leaf,
    row_of,
    seal,
)
from mash.audit.checkpoint import sign
from mash.audit.entries import format_instant, prepare, prepare_entry
from mash.audit.verify import build_report, check_access, check_decisions, tree_head

MakeDecision = Callable[..., dict[str, Any]]
NOW = datetime(2026, 5, 20, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()


def build_rows(decisions: list[dict[str, Any]], batch: int = 7) -> list[dict[str, Any]]:
    """Rows as the store writes them, sealed in batches like the sink does."""
    rows: list[dict[str, Any]] = []
    for start in range(0, len(decisions), batch):
        created = NOW + timedelta(seconds=start)
        last_seq = rows[-1]["seq"] if rows else 0
        last_hash = bytes.fromhex(rows[-1]["entry_hash"]) if rows else GENESIS
        chunk = [prepare_entry(d) for d in decisions[start : start + batch]]
        sealed = seal(chunk, last_seq, last_hash, format_instant(created))
        rows += [row_of(entry, created) for entry in sealed]
    return rows


def report(rows: list[dict[str, Any]], checkpoint: Any = None) -> Any:
    return build_report(check_decisions(rows), check_access([]), checkpoint)


def checkpoint_of(rows: list[dict[str, Any]]) -> Any:
    head = tree_head(check_decisions(rows), check_access([]), format_instant(NOW))
    return sign(head, KEY)


@pytest.fixture
def rows(make_decision: MakeDecision) -> list[dict[str, Any]]:
    return build_rows([make_decision(i) for i in range(60)])


def test_canonical_json_is_one_spelling() -> None:
    value = {"b": 1, "a": [1.5, "é", 1.0]}
    assert canonical_json(value) == '{"a":[1.5,"é",1],"b":1}'.encode()  # RFC 8785
    assert canonical_json(value, FORMAT_1) == '{"a":[1.5,"é",1.0],"b":1}'.encode()
    for fmt in (FORMAT_1, FORMAT_2):
        with pytest.raises(ValueError):
            canonical_json({"x": float("nan")}, fmt)


def test_the_sealed_leaf_is_the_leaf_of_the_decision(make_decision: MakeDecision) -> None:
    for i in range(20):
        decision = prepare(make_decision(i))
        created = format_instant(NOW + timedelta(microseconds=i))
        body = canonical_json(decision)
        sealed = decision_leaf(i + 1, created, body)
        assert (
            sealed
            == entry_leaf(i + 1, created, decision)
            == entry_leaf(i + 1, created, decision, FORMAT_2)
        )
        assert json.loads(sealed) == {
            "seq": i + 1,
            "created_at": created,
            "decision_sha256": hashlib.sha256(body).hexdigest(),
            "format": 2,
        }
        legacy = entry_leaf(i + 1, created, decision, FORMAT_1)
        assert json.loads(legacy) == {"seq": i + 1, "created_at": created, "decision": decision}


def test_new_entries_are_sealed_in_format_2(rows: list[dict[str, Any]]) -> None:
    assert {r["format"] for r in rows} == {FORMAT_2}
    for row in rows:
        assert row["body"].encode() == canonical_json(json.loads(row["body"]))


def test_sealed_entries_chain_from_genesis(rows: list[dict[str, Any]]) -> None:
    assert [r["seq"] for r in rows] == list(range(1, 61))
    assert rows[0]["prev_hash"] == GENESIS.hex()
    for before, after in itertools.pairwise(rows):
        assert after["prev_hash"] == before["entry_hash"]
    first = rows[0]
    leaf = entry_leaf(1, format_instant(first["created_at"]), json.loads(first["body"]))
    assert first["entry_hash"] == hashlib.sha256(GENESIS + leaf).hexdigest()


def test_an_untouched_log_verifies_with_and_without_checkpoint(rows: list[dict[str, Any]]) -> None:
    plain = report(rows)
    assert plain.ok and plain.problems == () and plain.entries == 60
    leaves = [
        merkle.leaf_hash(
            entry_leaf(r["seq"], format_instant(r["created_at"]), json.loads(r["body"]))
        )
        for r in rows
    ]
    assert plain.root_hash == merkle.root_hash(leaves).hex()
    assert report(rows, checkpoint_of(rows)).ok
    # A checkpoint of an older, shorter log still holds after more entries are appended.
    assert report(rows, checkpoint_of(rows[:37])).ok


# --- tamperings -------------------------------------------------------------------------

COLUMNS = [
    "seq",
    "decision_id",
    "kind",
    "agency",
    "source_id",
    "source_code",
    "child_index",
    "child_key",
    "household_id",
    "match",
    "match_score",
    "route",
    "level",
    "rule_ids",
    "flags",
    "rule_set_version",
    "input_digest",
    "received_at",
    "decided_at",
    "deadline",
    "decided_by",
    "supersedes",
    "reason",
    "body",
    "created_at",
    "prev_hash",
    "entry_hash",
    "format",
]


def changed(value: Any, rng: random.Random) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + rng.choice([1, 1000])
    if isinstance(value, float):
        return value + 0.125
    if isinstance(value, datetime):
        return value + timedelta(microseconds=rng.choice([1, 3_600_000_000]))
    if isinstance(value, str) and len(value) == 64 and all(c in "0123456789abcdef" for c in value):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if value is None:
        return "edited"
    return str(value) + "x"


def edit_body(row: dict[str, Any], rng: random.Random) -> None:
    """Edit a value inside the sealed JSON, keeping it canonical (a careful forger)."""
    decision = json.loads(row["body"])
    name = rng.choice(["route", "level", "reason", "decided_by", "child_key", "rules", "checks"])
    decision[name] = {
        "route": "universal" if decision["route"] != "universal" else "caf",
        "level": decision["level"] % 4 + 1,
        "reason": "edited",
        "decided_by": "someone-else",
        "child_key": "nhs:0000000000",
        "rules": [],
        "checks": {},
    }[name]
    row["body"] = canonical_json(decision).decode()


# Each tampering returns the decision id of the first entry that no longer fits.


def tamper_field(rows: list[dict[str, Any]], rng: random.Random) -> str:
    victim = rows[rng.randrange(len(rows))]
    column = rng.choice([*COLUMNS, "body", "body"])
    original_id = victim["decision_id"]
    if column == "body" and rng.random() < 0.7:
        edit_body(victim, rng)
    else:
        victim[column] = changed(victim[column], rng)
    if column == "seq":  # the entry moved: the first position that no longer fits is at fault
        rows.sort(key=lambda r: r["seq"])
        return next(str(r["decision_id"]) for k, r in enumerate(rows, 1) if r["seq"] != k)
    return str(victim["decision_id"]) if column == "decision_id" else original_id


def tamper_delete(rows: list[dict[str, Any]], rng: random.Random) -> str:
    victim = rng.randrange(len(rows) - 1)  # the last one is "truncate the tail"
    del rows[victim]
    return str(rows[victim]["decision_id"])  # the entry after the gap no longer fits


def tamper_insert(rows: list[dict[str, Any]], rng: random.Random) -> str:
    at = rng.randrange(len(rows))
    rows.insert(at, dict(rows[at], decision_id="forged"))
    for seq, row in enumerate(rows, start=1):
        row["seq"] = seq
    return "forged"


def tamper_swap(rows: list[dict[str, Any]], rng: random.Random) -> str:
    i, j = sorted(rng.sample(range(len(rows)), 2))
    rows[i]["seq"], rows[j]["seq"] = rows[j]["seq"], rows[i]["seq"]
    rows.sort(key=lambda r: r["seq"])
    return str(rows[i]["decision_id"])


TAMPERINGS = {
    "change one field": tamper_field,
    "delete one": tamper_delete,
    "insert one": tamper_insert,
    "swap two": tamper_swap,
}


@pytest.mark.parametrize("kind", TAMPERINGS)
def test_every_tampering_is_detected_and_located(make_decision: MakeDecision, kind: str) -> None:
    rng = random.Random(f"mash-{kind}")
    original = build_rows([make_decision(i) for i in range(40)])
    signed = checkpoint_of(original)
    for _ in range(60):
        rows = [dict(r) for r in original]
        first_bad = TAMPERINGS[kind](rows, rng)
        found = report(rows)
        assert not found.ok, kind
        assert found.first is not None, kind
        assert found.first.decision_id == first_bad, (kind, found.first)
        assert not report(rows, signed).ok


def test_truncating_the_tail_is_caught_by_the_checkpoint(rows: list[dict[str, Any]]) -> None:
    signed = checkpoint_of(rows)
    for keep in (0, 1, 30, 59):
        cut = rows[:keep]
        assert report(cut).ok  # a shorter chain is still a chain: only a checkpoint knows
        caught = report(cut, signed)
        assert not caught.ok
        assert "truncation or rollback" in str(caught.first)


def rechain(rows: list[dict[str, Any]], start: int) -> None:
    """What an attacker with database access does after an edit: re-hash everything after."""
    previous = bytes.fromhex(rows[start - 1]["entry_hash"]) if start else GENESIS
    for row in rows[start:]:
        leaf = entry_leaf(row["seq"], format_instant(row["created_at"]), json.loads(row["body"]))
        row["prev_hash"] = previous.hex()
        previous = chain_hash(previous, leaf)
        row["entry_hash"] = previous.hex()


def test_a_rewritten_and_rehashed_history_is_caught_by_the_checkpoint(
    rows: list[dict[str, Any]],
) -> None:
    rng = random.Random(47)
    signed = checkpoint_of(rows)
    for _ in range(40):
        forged = [dict(r) for r in rows]
        victim = rng.randrange(len(forged))
        edit_body(forged[victim], rng)
        decision = json.loads(forged[victim]["body"])
        forged[victim].update(
            {k: v for k, v in row_of_columns(decision).items() if k in forged[victim]}
        )
        rechain(forged, victim)
        assert report(forged).ok  # internally consistent: the chain alone cannot tell
        caught = report(forged, signed)
        assert not caught.ok
        assert "no longer contains the tree" in str(caught.first)


def row_of_columns(decision: dict[str, Any]) -> dict[str, Any]:
    from mash.audit.entries import columns_of

    return columns_of(decision)


def test_a_forged_checkpoint_signature_fails(rows: list[dict[str, Any]]) -> None:
    other = sign(checkpoint_of(rows).head, Ed25519PrivateKey.generate())
    good = checkpoint_of(rows)
    forged = type(good)(good.head, good.key_id, good.public_key, other.signature)
    caught = report(rows, forged)
    assert not caught.ok
    assert "signature is invalid" in str(caught.first)


def access_rows(count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    previous = GENESIS
    for seq in range(1, count + 1):
        at = NOW + timedelta(minutes=seq)
        detail = {"decision_id": f"dec-{seq}"}
        leaf = access_leaf(seq, format_instant(at), "auditor", "show", detail)
        entry = chain_hash(previous, leaf)
        rows.append(
            {
                "seq": seq,
                "who": "auditor",
                "action": "show",
                "at": at,
                "detail": json.dumps(detail),
                "prev_hash": previous.hex(),
                "entry_hash": entry.hex(),
                "format": FORMAT_2,
            }
        )
        previous = entry
    return rows


def test_the_access_log_is_chained_and_checked() -> None:
    rows = access_rows(10)
    assert not check_access(rows).problems
    for column, value in (("who", "nobody"), ("action", "export"), ("detail", '{"x":1}')):
        edited = [dict(r) for r in rows]
        edited[4][column] = value
        problems = check_access(edited).problems
        assert problems and problems[0].seq == 5 and problems[0].log == "access log"
    deleted = rows[:3] + rows[4:]
    assert check_access(deleted).problems[0].seq == 5


def test_a_checkpoint_pins_the_access_log_too(rows: list[dict[str, Any]]) -> None:
    access = access_rows(6)
    head = tree_head(check_decisions(rows), check_access(access), format_instant(NOW))
    signed = sign(head, KEY)
    assert build_report(check_decisions(rows), check_access(access), signed).ok
    assert build_report(check_decisions(rows), check_access(access + access_rows(8)[6:]), signed).ok
    cut = build_report(check_decisions(rows), check_access(access[:4]), signed)
    assert not cut.ok and "records of who read the log were removed" in str(cut.first)
