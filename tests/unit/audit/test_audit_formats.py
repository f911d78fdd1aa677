"""Format 1 and format 2 side by side: an old log still verifies and goes on in format 2.

The format-1 log is the committed fixture (tests/data/audit/format1), written by the code
before format 2 existed; here it is verified and continued in memory. The database version
of the same, and the check in another language, are in tests/integration/audit.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import audit_fixture
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mash.audit.canonical import FORMAT_1, FORMAT_2, canonical_json, legacy_text
from mash.audit.chain import GENESIS, access_leaf, chain_hash, row_of, seal
from mash.audit.checkpoint import FORMAT_V1, FORMAT_V2, sign
from mash.audit.entries import format_instant, prepare_entry
from mash.audit.verify import build_report, check_access, check_decisions, tree_head

MakeDecision = Callable[..., dict[str, Any]]
LATER = datetime(2027, 1, 15, 10, 30, tzinfo=UTC)


def old_rows() -> list[dict[str, Any]]:
    """The fixture's rows as the migrated database returns them: format column 1."""
    return [{**row, "format": FORMAT_1} for row in audit_fixture.decision_rows()]


def old_access() -> list[dict[str, Any]]:
    return [{**row, "format": FORMAT_1} for row in audit_fixture.access_rows()]


def continued(rows: list[dict[str, Any]], decisions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with ``decisions`` appended as the store appends them today."""
    last = rows[-1]
    sealed = seal(
        [prepare_entry(d) for d in decisions],
        last["seq"],
        bytes.fromhex(last["entry_hash"]),
        format_instant(LATER),
    )
    return rows + [row_of(entry, LATER) for entry in sealed]


def new_access(rows: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """Access records appended as the store appends them today (format 2)."""
    rows = list(rows)
    for _ in range(count):
        seq = rows[-1]["seq"] + 1
        previous = bytes.fromhex(rows[-1]["entry_hash"])
        detail = {"decision_id": f"dec-{seq:06d}"}
        leaf = access_leaf(seq, format_instant(LATER), "inspector", "show", detail)
        rows.append(
            {
                "seq": seq,
                "who": "inspector",
                "action": "show",
                "detail": json.dumps(detail),
                "at": LATER,
                "prev_hash": previous.hex(),
                "entry_hash": chain_hash(previous, leaf).hex(),
                "format": FORMAT_2,
            }
        )
    return rows


def test_the_committed_format_1_log_still_verifies() -> None:
    rows, access = old_rows(), old_access()
    assert all(row["body"] == legacy_text(json.loads(row["body"])) for row in rows)
    report = build_report(
        check_decisions(rows),
        check_access(access),
        audit_fixture.checkpoint(),
        audit_fixture.public_key(),
    )
    assert report.ok, report.problems
    expected = audit_fixture.verified()
    assert (report.entries, report.access_entries) == (14, 2)
    assert (report.root_hash, report.head_hash) == (expected["root_hash"], expected["head_hash"])
    assert audit_fixture.checkpoint().format == FORMAT_V1


def test_rows_without_a_format_are_format_1() -> None:
    """As the database held them before migration 0002 (and as an old export reads)."""
    report = build_report(
        check_decisions(audit_fixture.decision_rows()), check_access(audit_fixture.access_rows())
    )
    assert report.ok and report.root_hash == audit_fixture.verified()["root_hash"]


def test_the_format_1_chain_goes_on_in_format_2(make_decision: MakeDecision) -> None:
    rows = continued(old_rows(), [make_decision(i) for i in range(100, 110)])
    access = new_access(old_access(), 3)
    assert [r["format"] for r in rows] == [FORMAT_1] * 14 + [FORMAT_2] * 10
    assert rows[14]["prev_hash"] == audit_fixture.verified()["head_hash"]
    old = audit_fixture.checkpoint()
    report = build_report(
        check_decisions(rows), check_access(access), old, audit_fixture.public_key()
    )
    assert report.ok, report.problems  # the format-1 checkpoint still holds over a longer log
    key = Ed25519PrivateKey.generate()
    new = sign(tree_head(check_decisions(rows), check_access(access), "2027-01-15T10:31:00Z"), key)
    assert new.format == FORMAT_V2
    assert build_report(check_decisions(rows), check_access(access), new, key.public_key()).ok
    # a format-2 checkpoint of the old log alone pins the same root as the format-1 one
    head = tree_head(check_decisions(rows[:12]), check_access(access[:1]), old.head.timestamp)
    assert (head.root_hash, head.head_hash) == (old.head.root_hash, old.head.head_hash)


def test_each_entry_is_recomputed_by_its_own_format(make_decision: MakeDecision) -> None:
    """Relabelling an entry's format is an edit: its bytes are those of the other format."""
    rows = continued(old_rows(), [make_decision(100, match_score=1.0)])
    assert b'"match_score":1,' in rows[-1]["body"].encode()  # JCS writes 1.0 as 1
    for index, wrong in ((0, FORMAT_2), (len(rows) - 1, FORMAT_1), (3, 3), (5, None), (6, "2")):
        edited = [dict(r) for r in rows]
        edited[index]["format"] = wrong
        problems = check_decisions(edited).problems
        assert problems and problems[0].seq == index + 1, (wrong, problems)
        assert any("hash does not match" in p.message for p in problems)


def test_a_relabelled_entry_is_caught_even_when_both_formats_spell_it_alike(
    make_decision: MakeDecision,
) -> None:
    """Without floats a decision has the same bytes in both formats; the leaves still differ
    (format 2 hashes the decision's digest with its format), so a relabel is still caught."""
    prepared = prepare_entry(make_decision(1, match_score=None))
    assert canonical_json(prepared.decision, FORMAT_1) == canonical_json(prepared.decision)
    [entry] = seal([prepared], 0, GENESIS, format_instant(LATER))
    row = row_of(entry, LATER)
    assert check_decisions([row]).problems == []
    assert check_decisions([dict(row, format=FORMAT_1)]).problems


@pytest.mark.parametrize("wrong", [FORMAT_2, 7])
def test_an_access_record_is_recomputed_by_its_own_format(wrong: int) -> None:
    access = new_access(old_access(), 2)
    edited = [dict(r) for r in access]
    edited[0]["format"] = wrong
    problems = check_access(edited).problems
    assert problems and problems[0].seq == 1 and problems[0].log == "access log"


def test_a_format_1_checkpoint_relabelled_as_format_2_no_longer_verifies() -> None:
    from dataclasses import replace

    from mash.audit.checkpoint import signature_problem

    old = audit_fixture.checkpoint()
    assert signature_problem(old, audit_fixture.public_key()) is None
    assert "signature is invalid" in str(signature_problem(replace(old, format=FORMAT_V2)))
