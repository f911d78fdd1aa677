"""The hash chain: canonical bytes of each entry and how entries are sealed (pure, no I/O).

The bytes hashed are canonical JSON (canonical.py): the same decision, the same bytes.

An entry's *leaf* is the canonical JSON of {seq, created_at, decision} (so position and time
are covered too); its *hash* is SHA-256(previous entry's hash || leaf), the first entry
chaining from 32 zero bytes. The same leaves feed the RFC 6962 Merkle tree of merkle.py.
The access log (who read what, when) is chained the same way with its own leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from mash.audit.canonical import canonical_json
from mash.audit.entries import Prepared

__all__ = [
    "GENESIS",
    "SealedEntry",
    "access_leaf",
    "canonical_json",
    "chain_hash",
    "entry_leaf",
    "fast_entry_leaf",
    "row_of",
    "seal",
]

GENESIS = bytes(32)


def entry_leaf(seq: int, created_at: str, decision: Mapping[str, Any]) -> bytes:
    """Leaf data of a decision-log entry: the decision with its position and logging time."""
    return canonical_json({"seq": seq, "created_at": created_at, "decision": decision})


def fast_entry_leaf(seq: int, created_at: str, body: bytes) -> bytes:
    """``entry_leaf`` built around an already canonical body, without encoding it twice.

    Keys in sorted order are created_at, decision, seq; tests pin this to ``entry_leaf``.
    """
    return b"".join(
        (
            b'{"created_at":',
            canonical_json(created_at),
            b',"decision":',
            body,
            b',"seq":',
            str(seq).encode(),
            b"}",
        )
    )


def access_leaf(seq: int, at: str, who: str, action: str, detail: Mapping[str, Any]) -> bytes:
    """Leaf data of an access-log entry (a read of the decision log)."""
    return canonical_json({"seq": seq, "at": at, "who": who, "action": action, "detail": detail})


def chain_hash(prev_hash: bytes, leaf: bytes) -> bytes:
    """Hash of an entry: covers its leaf and, through ``prev_hash``, all entries before it."""
    return hashlib.sha256(prev_hash + leaf).digest()


@dataclass(frozen=True, slots=True)
class SealedEntry:
    """A decision given its place in the chain, ready to insert."""

    seq: int
    created_at: str
    decision: dict[str, Any]
    body: str
    leaf: bytes
    prev_hash: bytes
    entry_hash: bytes
    columns: dict[str, Any]


def seal(
    decisions: Sequence[Prepared], last_seq: int, last_hash: bytes, created_at: str
) -> list[SealedEntry]:
    """Give prepared decisions consecutive positions after (last_seq, last_hash).

    Must run while the caller holds the log's write lock, or two writers would both extend
    the same head and fork the chain.
    """
    sealed = []
    prev = last_hash
    for offset, prepared in enumerate(decisions, start=1):
        seq = last_seq + offset
        leaf = fast_entry_leaf(seq, created_at, prepared.body)
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
        "prev_hash": entry.prev_hash.hex(),
        "entry_hash": entry.entry_hash.hex(),
    }
