"""The decision log on SQLite and PostgreSQL: append, dedupe, offsets, reads, migrations."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import text

from mash.audit.store import QueryFilter, open_log
from mash.audit.verify import verify_log
from mash.errors import AuditError, InvalidDecision, UsageError

MakeDecision = Callable[..., dict[str, Any]]


def test_append_seals_new_decisions_and_skips_repeats(
    db_url: str, make_decision: MakeDecision
) -> None:
    with open_log(db_url) as log:
        assert log.append([make_decision(i) for i in range(10)]) == 10
        # a replay of some, plus new ones, plus a repeat inside the batch
        again = [make_decision(i) for i in range(5, 15)] + [make_decision(12)]
        assert log.append(again) == 5
        assert log.append([]) == 0
        assert log.count() == 15
        logged = [d["decision_id"] for d in log.iter_decisions()]
        assert logged == [f"dec-{i:06d}" for i in range(15)]
        assert verify_log(log).ok


def test_the_logged_decision_is_the_decision_without_narrative(
    db_url: str, make_decision: MakeDecision
) -> None:
    decision = make_decision(3, facts={"age_months": 9, "narrative": "free text"})
    with open_log(db_url) as log:
        log.append([decision])
        stored = log.get("dec-000003")
    expected = dict(decision, facts={"age_months": 9})
    assert stored == expected
    assert "free text" not in json.dumps(stored)


def test_an_invalid_decision_rejects_the_whole_batch(
    db_url: str, make_decision: MakeDecision
) -> None:
    with open_log(db_url) as log:
        with pytest.raises(InvalidDecision):
            log.append([make_decision(1), make_decision(2, route="nowhere")])
        with pytest.raises(InvalidDecision, match="reason is required"):
            log.append([make_decision(3, kind="override", supersedes="dec-000001")])
        assert log.count() == 0


def test_offsets_commit_with_the_entries_or_not_at_all(
    db_url: str, make_decision: MakeDecision
) -> None:
    with open_log(db_url) as log:
        assert log.committed_offsets("t.mash.decisions") == {}
        log.append_with_offsets(
            [make_decision(i) for i in range(3)],
            {("t.mash.decisions", 0): 2, ("t.mash.decisions", 1): 1, ("t.mash.overrides", 0): 7},
        )
        assert log.committed_offsets("t.mash.decisions") == {0: 2, 1: 1}
        assert log.committed_offsets("t.mash.overrides") == {0: 7}
        with pytest.raises(InvalidDecision):
            log.append_with_offsets([make_decision(9, route="x")], {("t.mash.decisions", 0): 99})
        assert log.committed_offsets("t.mash.decisions") == {0: 2, 1: 1}
        # offsets alone (a batch of nothing but duplicates or dead letters) still move on
        assert log.append_with_offsets([make_decision(0)], {("t.mash.decisions", 0): 5}) == 0
        assert log.committed_offsets("t.mash.decisions") == {0: 5, 1: 1}
        assert log.count() == 3


def test_queries_by_child_referral_route_rule_and_dates(
    db_url: str, make_decision: MakeDecision
) -> None:
    decisions = [make_decision(i) for i in range(40)]
    decisions.append(make_decision(40, rules=[{"id": "l3.a%b_c", "level": 3, "reason": "r"}]))
    decisions.append(make_decision(41, rules=[{"id": "l3.aXbYc", "level": 3, "reason": "r"}]))
    with open_log(db_url) as log:
        log.append(decisions)

        def ids(**query: Any) -> list[str]:
            return [d["decision_id"] for d in log.find(QueryFilter(**query))]

        assert ids(child_key="nhs:9990000007") == ["dec-000007"]
        assert ids(source_id="REF-00003") == ["dec-000006", "dec-000007"]
        assert ids(route="caf") == [d["decision_id"] for d in decisions if d["route"] == "caf"]
        assert ids(rule="l4.rule_0") == [
            d["decision_id"] for d in decisions if d["rules"][0]["id"] == "l4.rule_0"
        ]
        assert ids(rule="l3.a%b_c") == ["dec-000040"]  # wildcards are matched literally
        assert ids(rule="l4.rule") == []  # whole ids only
        days = [int(d["decided_at"][8:10]) for d in decisions]
        may = [d["decision_id"] for d, day in zip(decisions, days, strict=True) if 5 <= day <= 6]
        assert ids(since=date(2026, 5, 5), until=date(2026, 5, 6)) == may
        assert [d["decision_id"] for d in log.iter_decisions(since=date(2026, 5, 27))] == [
            d["decision_id"] for d, day in zip(decisions, days, strict=True) if day >= 27
        ]
        assert ids(route="s47", source_id="REF-00000") == ["dec-000000"]


def test_overrides_are_found_with_their_decision(db_url: str, make_decision: MakeDecision) -> None:
    with open_log(db_url) as log:
        log.append([make_decision(1), make_decision(2)])
        log.append(
            [
                make_decision(50, kind="override", supersedes="dec-000001", reason="First look."),
                make_decision(51, kind="override", supersedes="dec-000001", reason="Second look."),
            ]
        )
        reasons = [o["reason"] for o in log.overrides_of("dec-000001")]
        assert reasons == ["First look.", "Second look."]
        assert log.overrides_of("dec-000002") == []
        assert log.get("dec-000001") is not None  # the superseded decision stays
        assert set(log.get_many(["dec-000001", "dec-000051", "nope"])) == {
            "dec-000001",
            "dec-000051",
        }


def test_reads_are_chained_in_the_access_log(db_url: str) -> None:
    with open_log(db_url) as log:
        assert log.record_access("auditor.a", "show", {"decision_id": "dec-1"}) == 1
        assert log.record_access("auditor.b", "query", {"route": "s47"}) == 2
        rows = list(log.access_rows())
        with pytest.raises(UsageError):
            log.record_access(" ", "show", {})
        report = verify_log(log)
    assert [(r["who"], r["action"]) for r in rows] == [
        ("auditor.a", "show"),
        ("auditor.b", "query"),
    ]
    assert rows[1]["prev_hash"] == rows[0]["entry_hash"]
    assert report.ok and report.access_entries == 2


def test_opening_twice_migrates_once_and_models_match_migrations(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from mash.audit.models import SQLModel

    with open_log(db_url) as first:
        first.append([])
    with open_log(db_url) as log, log.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"version_table": "mash_audit_version"})
        assert context.get_current_heads() == ("0002",)
        ours = {"decision_log", "sink_offsets", "access_log"}
        diff = compare_metadata(context, SQLModel.metadata)
        relevant = [d for d in diff if _table_of(d) in ours]
        assert relevant == []


def _table_of(diff: Any) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:]:
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None:
            return str(table.name)
        if isinstance(part, str):
            return part
        if name is not None:
            return str(name)
    return None


def test_sqlite_runs_in_wal_with_full_sync(tmp_path: Any) -> None:
    with open_log(f"sqlite:///{tmp_path / 'x' / 'decisions.db'}") as log, log.engine.connect() as c:
        assert c.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert c.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL


def test_unsupported_or_unreachable_databases_are_named(tmp_path: Any) -> None:
    with pytest.raises(UsageError, match="SQLite or PostgreSQL"):
        open_log("mysql://u:p@localhost/db")
    with pytest.raises(UsageError, match="not a database URL"):
        open_log("::nonsense::")
    with pytest.raises(AuditError, match="opening the decision log failed") as caught:
        open_log("postgresql://mash:secret-pw@127.0.0.1:1/mash")
    assert "secret-pw" not in str(caught.value)
