"""Inclusion proofs for one decision, against today's log or a signed checkpoint's tree.

Why: a family, a court or an inspector may need to be shown that a particular decision was
in the log as it stood when a checkpoint was signed. The proof is a handful of hashes that
anyone can check against the signed root with any RFC 6962 tool, without database access.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mash.audit import merkle
from mash.audit.checkpoint import Checkpoint
from mash.audit.verify import LogRows, check_decisions
from mash.errors import AuditError, UsageError


def inclusion(
    log: LogRows, decision_id: str, checkpoint: Checkpoint | None = None
) -> dict[str, Any]:
    """The proof for ``decision_id`` as JSON-ready data, checked before it is returned."""
    found: list[int] = []

    def watch(rows: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for position, row in enumerate(rows):
            if row.get("decision_id") == decision_id:
                found.append(position)
            yield row

    scan = check_decisions(watch(log.entry_rows()))
    if not found:
        raise UsageError(f"no decision {decision_id} in the log")
    index = found[0]
    size = scan.size if checkpoint is None else checkpoint.head.tree_size
    if index >= size:
        raise UsageError(f"decision {decision_id} was logged after the checkpoint was signed")
    leaves = scan.leaf_hashes[:size]
    root = merkle.root_hash(leaves)
    if checkpoint is not None and root.hex() != checkpoint.head.root_hash:
        raise AuditError("the log does not match the checkpoint; run `mash audit verify`")
    proof = merkle.inclusion_proof(leaves, index)
    if not merkle.verify_inclusion(index, size, leaves[index], proof, root):
        raise AuditError("internal error: a freshly made inclusion proof does not verify")
    return {
        "decision_id": decision_id,
        "seq": index + 1,
        "leaf_index": index,
        "tree_size": size,
        "leaf_hash": leaves[index].hex(),
        "root_hash": root.hex(),
        "proof": [h.hex() for h in proof],
        "checkpoint_timestamp": None if checkpoint is None else checkpoint.head.timestamp,
    }
