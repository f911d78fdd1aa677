"""The hash chain: the bytes hashed for each entry and how entries are sealed (pure, no I/O).

An entry's *leaf* is canonical JSON (canonical.py) in the entry's own format:

- format 2 (every entry written now): the RFC 8785 bytes of
  ``{"created_at", "decision_sha256", "format": 2, "seq"}``, where ``decision_sha256`` is the
  hex SHA-256 of the RFC 8785 bytes of the decision (which is what ``body`` stores);
- format 1 (entries written before): Python's canonical JSON of ``{seq, created_at, decision}``.

Why the decision's digest rather than the decision itself in a format-2 leaf: the decision is
then canonicalised once, when it is prepared (outside the write lock), and the leaf is a small
object that every language canonicalises alike; the digest binds the leaf to every byte of
the decision just as well. Position, logging time and format are covered in both formats.

An entry's *hash* is SHA-256(previous entry's hash || leaf), the first entry chaining from 32
zero bytes: the link is bytes, so a chain that starts in format 1 simply goes on in format 2.
The same leaves feed the RFC 6962 Merkle tree of merkle.py. The access log (who read what,
when) is chained the same way with its own leaves. docs/audit-format.md spells it all out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mash.audit.canonical import CURRENT_FORMAT, FORMAT_1, FORMAT_2, canonical_json
from mash.audit.entries import Prepared
from mash.domain.decision import DecisionRecord

__all__ = [
    "GENESIS",
    "SealedEntry",
    "access_leaf",
    "chain_hash",
    "decision_leaf",
    "entry_leaf",
    "row_of",
    "seal",
]

GENESIS = bytes(32)


def decision_leaf(seq: int, created_at: str, body: bytes) -> bytes:
    """Format-2 leaf of an entry from its decision's RFC 8785 bytes (``body``)."""
    return canonical_json(
        {
            "created_at": created_at,
            "decision_sha256": hashlib.sha256(body).hexdigest(),
            "format": FORMAT_2,
            "seq": seq,
        },
        FORMAT_2,
    )


def entry_leaf(
    seq: int, created_at: str, decision: Mapping[str, Any], fmt: int = CURRENT_FORMAT
) -> bytes:
    """Leaf data of a decision-log entry in format ``fmt``, from the decision itself.

    This is what an auditor computes from an export; ``seal`` gets the same bytes from the
    body it already holds (``decision_leaf``), and tests pin the two together.
    """
    if fmt == FORMAT_1:
        return canonical_json(
            {"seq": seq, "created_at": created_at, "decision": decision}, FORMAT_1
        )
    if fmt == FORMAT_2:
        return decision_leaf(seq, created_at, canonical_json(decision, FORMAT_2))
    raise ValueError(f"unknown entry format {fmt}")


def access_leaf(
    seq: int,
    at: str,
    who: str,
    action: str,
    detail: Mapping[str, Any],
    fmt: int = CURRENT_FORMAT,
) -> bytes:
    """Leaf data of an access-log entry (a read of the decision log) in format ``fmt``."""
    record: dict[str, Any] = {"seq": seq, "at": at, "who": who, "action": action, "detail": detail}
    if fmt == FORMAT_2:
        record["format"] = FORMAT_2
    elif fmt != FORMAT_1:
        raise ValueError(f"unknown access-log format {fmt}")
    return canonical_json(record, fmt)


def chain_hash(prev_hash: bytes, leaf: bytes) -> bytes:
    """Hash of an entry: covers its leaf and, through ``prev_hash``, all entries before it."""
    return hashlib.sha256(prev_hash + leaf).digest()


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """A decision given its place in the chain, ready to insert."""

    seq: int
    created_at: str
    decision: DecisionRecord
    body: str
    leaf: bytes
    prev_hash: bytes
    entry_hash: bytes
    columns: dict[str, Any]
    format: int = CURRENT_FORMAT


def seal(
    decisions: Sequence[Prepared], last_seq: int, last_hash: bytes, created_at: str
) -> list[SealedEntry]:
    """Give prepared decisions consecutive positions after (last_seq, last_hash).

    Always in the current format, whatever the format of the entries before. Must run while
    the caller holds the log's write lock, or two writers would both extend the same head
    and fork the chain.
    """
    sealed = []
    prev = last_hash
    for offset, prepared in enumerate(decisions, start=1):
        seq = last_seq + offset
        leaf = decision_leaf(seq, created_at, prepared.body)
        digest = chain_hash(prev, leaf)
        sealed.append(
            SealedEntry(
                seq,
                created_at,
                prepared.decision,
                prepared.body.decode("utf-8"),
                leaf,
                prev,
                digest,
                prepared.columns,
                CURRENT_FORMAT,
            )
        )
        prev = digest
    return sealed


def row_of(entry: SealedEntry, created_at: datetime) -> dict[str, Any]:
    """The table row of a sealed entry: searchable columns, the sealed JSON and the hashes."""
    return {
        **entry.columns,
        "seq": entry.seq,
        "body": entry.body,
        "created_at": created_at,
        "format": entry.format,
        "prev_hash": entry.prev_hash.hex(),
        "entry_hash": entry.entry_hash.hex(),
    }
