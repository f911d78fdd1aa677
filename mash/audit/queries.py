"""Reading the log as an auditor: show, query, export, each read itself logged first.

Why log reads: the decision log is about children; knowing who looked at which child's
decisions, and when, is part of protecting them (UK GDPR accountability). The access record
is written *before* anything is returned, and a read that cannot be recorded is refused.
"""

from __future__ import annotations

import csv
import getpass
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import asdict
from typing import Any, TextIO

from mash.audit.explain import explain, explain_override
from mash.audit.store import DecisionLog, QueryFilter
from mash.domain.decision import CHILD_CONTEXT, PROVENANCE, DecisionRecord
from mash.errors import UsageError

EXPORT_FORMATS = ("csv", "jsonl")

CSV_COLUMNS = (
    "seq",
    "decision_id",
    "kind",
    *CHILD_CONTEXT,
    "route",
    "level",
    "rules",
    "reasons",
    "checks",
    "flags",
    *PROVENANCE,
    "supersedes",
    "reason",
    "created_at",
    "entry_hash",
)


def reader_name(as_name: str | None) -> str:
    """Who is reading: ``--as NAME``, else the login name; refused when neither is known."""
    if as_name and as_name.strip():
        return as_name.strip()
    name = os.environ.get("USER") or os.environ.get("LOGNAME")
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = None
    if not name:
        raise UsageError("cannot tell who is reading the log: pass --as NAME")
    return name


def _filter_detail(query: QueryFilter) -> dict[str, Any]:
    return {k: v for k, v in asdict(query).items() if v is not None}


def show(log: DecisionLog, decision_id: str, who: str) -> str:
    """The plain-English account of one decision (or staff override) and what followed."""
    log.record_access(who, "show", {"decision_id": decision_id})
    entry = log.get(decision_id)
    if entry is None:
        raise UsageError(f"no decision {decision_id} in the log")
    if entry.get("kind") == "override":
        superseded = log.get(str(entry.get("supersedes")))
        return explain_override(entry, superseded)
    if entry.get("kind") == "action":
        subject = str(entry.get("subject"))
        return f"Staff step {decision_id}, about decision {subject}:\n\n" + show(log, subject, who)
    return explain(entry, log.overrides_of(decision_id), log.actions_of(entry))


def show_json(log: DecisionLog, decision_id: str, who: str) -> dict[str, Any]:
    """The same as ``show`` as data: the decision and its overrides."""
    log.record_access(who, "show", {"decision_id": decision_id, "format": "json"})
    entry = log.get(decision_id)
    if entry is None:
        raise UsageError(f"no decision {decision_id} in the log")
    return {
        "decision": entry,
        "overrides": log.overrides_of(decision_id),
        "actions": log.actions_of(entry),
    }


def query(
    log: DecisionLog, query: QueryFilter, who: str, limit: int | None = None
) -> Iterator[DecisionRecord]:
    """Decisions matching ``query`` in log order (at most ``limit``)."""
    detail = _filter_detail(query)
    if limit is not None:
        detail["limit"] = limit
    log.record_access(who, "query", detail)
    for count, decision in enumerate(log.find(query)):
        if limit is not None and count >= limit:
            return
        yield decision


def summary(decision: DecisionRecord) -> dict[str, Any]:
    """One line of a query answer: enough to pick a decision to ``show``."""
    rules = decision.get("rules") or []
    return {
        "decision_id": decision.get("decision_id"),
        "kind": decision.get("kind"),
        "source_id": decision.get("source_id"),
        "child": decision.get("child_index"),
        "route": decision.get("route"),
        "level": decision.get("level"),
        "decided_at": str(decision.get("decided_at") or "")[:16].replace("T", " "),
        "first_reason": rules[0].get("reason") if rules else decision.get("reason"),
    }


def _joined(items: Any) -> str:
    return ";".join(str(i) for i in items or [])


def csv_row(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A log entry (with seq and hashes) as one flat CSV row; lists joined with ';'."""
    d: Mapping[str, Any] = entry["decision"]
    rules = d.get("rules") or []
    row = {name: d.get(name) for name in CSV_COLUMNS}
    row.update(
        seq=entry["seq"],
        created_at=entry["created_at"],
        entry_hash=entry["entry_hash"],
        rules=_joined(r.get("id") for r in rules),
        reasons=_joined(r.get("reason") for r in rules),
        checks=_joined(f"{k}={v}" for k, v in (d.get("checks") or {}).items()),
        flags=_joined(d.get("flags")),
    )
    return row


def export(
    log: DecisionLog, fmt: str, out: TextIO, who: str, query: QueryFilter | None = None
) -> int:
    """Write matching entries as CSV or JSON Lines; returns how many were written.

    JSON Lines carries each entry exactly as sealed (seq, created_at, format, prev_hash,
    entry_hash, decision), so the export can be re-verified without the database, in any
    language: docs/audit-format.md says how.
    """
    if fmt not in EXPORT_FORMATS:
        raise UsageError(f"export format must be one of {', '.join(EXPORT_FORMATS)}")
    query = query or QueryFilter()
    log.record_access(who, "export", {"format": fmt, **_filter_detail(query)})
    count = 0
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for entry in log.find_entries(query):
        if writer is not None:
            writer.writerow(csv_row(entry))
        else:
            out.write(json.dumps(entry, sort_keys=True, ensure_ascii=False) + "\n")
        count += 1
    return count
