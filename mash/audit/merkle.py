"""RFC 6962 Merkle tree hashing, inclusion and consistency proofs (pure functions, no I/O).

Why a Merkle tree on top of the hash chain: the chain proves that nothing changed *between*
two entries, but an auditor who kept only a signed tree head (size + root) needs a short proof
that today's log still starts with exactly the tree they signed (consistency), and that a given
decision is in it (inclusion), without trusting the database. The hashing follows RFC 6962
section 2.1 (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right), split at the
largest power of two smaller than n) and the verification algorithms of RFC 9162 section 2.1.3
and 2.1.4, so any Certificate Transparency tool can check our proofs.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from mash.errors import AuditError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(data: bytes) -> bytes:
    """Hash of one leaf; the 0x00 prefix stops a leaf from passing for an inner node."""
    return hashlib.sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Hash of an inner node from its two children."""
    return hashlib.sha256(_NODE_PREFIX + left + right).digest()


def split_point(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (n >= 2): RFC 6962's ``k``."""
    return 1 << ((n - 1).bit_length() - 1)


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Merkle Tree Hash of a whole list of leaf hashes, in one pass and O(log n) memory.

    Perfect subtrees are merged as soon as they pair up (a compact range); the leftover
    stack, folded right to left, is exactly the RFC's recursive split for any n.
    """
    if not leaf_hashes:
        return EMPTY_ROOT
    stack: list[tuple[int, bytes]] = []
    for leaf in leaf_hashes:
        size, node = 1, leaf
        while stack and stack[-1][0] == size:
            _, left = stack.pop()
            node = node_hash(left, node)
            size *= 2
        stack.append((size, node))
    _, node = stack.pop()
    while stack:
        _, left = stack.pop()
        node = node_hash(left, node)
    return node


def _range_root(leaf_hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    return root_hash(leaf_hashes[lo:hi])


def _path(leaf_hashes: Sequence[bytes], index: int, lo: int, hi: int) -> list[bytes]:
    """RFC 6962 PATH(m, D[lo:hi]): siblings from the leaf up to the root of this range."""
    n = hi - lo
    if n <= 1:
        return []
    k = split_point(n)
    if index < k:
        return [
            *_path(leaf_hashes, index, lo, lo + k),
            _range_root(leaf_hashes, lo + k, hi),
        ]
    return [
        *_path(leaf_hashes, index - k, lo + k, hi),
        _range_root(leaf_hashes, lo, lo + k),
    ]


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """Audit path proving that leaf ``index`` is in the tree of all ``leaf_hashes``."""
    if not 0 <= index < len(leaf_hashes):
        raise AuditError(f"leaf {index} is outside a tree of size {len(leaf_hashes)}")
    return _path(leaf_hashes, index, 0, len(leaf_hashes))


def _subproof(
    leaf_hashes: Sequence[bytes], m: int, lo: int, hi: int, complete: bool
) -> list[bytes]:
    """RFC 6962 SUBPROOF(m, D[lo:hi], b)."""
    n = hi - lo
    if m == n:
        return [] if complete else [_range_root(leaf_hashes, lo, hi)]
    k = split_point(n)
    if m <= k:
        return [
            *_subproof(leaf_hashes, m, lo, lo + k, complete),
            _range_root(leaf_hashes, lo + k, hi),
        ]
    return [
        *_subproof(leaf_hashes, m - k, lo + k, hi, False),
        _range_root(leaf_hashes, lo, lo + k),
    ]


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """Proof that the first ``old_size`` leaves form a prefix of the tree of all leaves."""
    new_size = len(leaf_hashes)
    if not 0 <= old_size <= new_size:
        raise AuditError(f"cannot prove size {old_size} against a tree of size {new_size}")
    if old_size in (0, new_size):
        return []
    return _subproof(leaf_hashes, old_size, 0, new_size, True)


def _well_formed(*hashes: bytes) -> bool:
    return all(len(h) == HASH_SIZE for h in hashes)


def _shift_while_even(fn: int, sn: int) -> tuple[int, int]:
    """Right-shift both indexes until fn is odd or zero (RFC 9162 steps 'ii')."""
    while fn and not fn & 1:
        fn >>= 1
        sn >>= 1
    return fn, sn


def root_from_inclusion_proof(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes]
) -> bytes | None:
    """The root an inclusion proof leads to (RFC 9162 2.1.3.2), or None if malformed."""
    if not 0 <= index < size or not _well_formed(leaf, *proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows leaf hash ``leaf`` at ``index`` in the tree (size, root)."""
    return root_from_inclusion_proof(index, size, leaf, proof) == root


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows tree (old_size, old_root) is a prefix of (new_size, new_root).

    RFC 9162 2.1.4.2. An empty old tree is a prefix of everything; equal sizes need equal
    roots and an empty proof; anything else needs a non-empty proof of well-formed hashes.
    """
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof or not _well_formed(old_root, new_root, *proof):
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                fn, sn = _shift_while_even(fn, sn)
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
