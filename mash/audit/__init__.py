"""The decision log: append-only, hash-chained, Merkle-tree, readable by auditors.

Public API (imported lazily, so ``mash --help`` does not pay for SQLAlchemy)::

    log = open_log(url)                      # SQLite/PostgreSQL, migrated to head on open
    log.append(decisions) -> int             # newly written; a known decision id is skipped
    log.append_with_offsets(decisions, {(topic, partition): next_offset}) -> int
    log.committed_offsets(topic) -> {partition: next_offset}
    log.iter_decisions(since=None)           # decision and override dicts, in log order
    log.find(QueryFilter(...)), log.get(id), log.overrides_of(id), log.record_access(...)
    verify_log(log, checkpoint=None) -> VerifyReport

Layout: ``entries`` (what may be logged), ``canonical`` (the hashed JSON: RFC 8785 for format
2, Python's for format-1 entries), ``chain`` (leaves and hashes), ``merkle``
(RFC 6962 proofs), ``checkpoint`` (signed tree heads), ``verify`` and ``explain`` are pure;
``models``/``migrations``/``store`` are the database adapter, ``sink`` the Kafka adapter,
``queries`` the access-logged reads, ``commands`` the CLI.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mash.audit.store import DecisionLog, QueryFilter, open_log
    from mash.audit.verify import VerifyReport, verify_log

_EXPORTS = {
    "DecisionLog": "mash.audit.store",
    "QueryFilter": "mash.audit.store",
    "open_log": "mash.audit.store",
    "VerifyReport": "mash.audit.verify",
    "verify_log": "mash.audit.verify",
}

__all__ = ["DecisionLog", "QueryFilter", "VerifyReport", "open_log", "verify_log"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'mash.audit' has no attribute {name!r}")
    return getattr(import_module(module), name)
