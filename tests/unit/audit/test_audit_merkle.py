"""RFC 6962 Merkle proofs against the Certificate Transparency test vectors.

The vectors (leaf inputs, roots for sizes 0..8, inclusion and consistency proofs) are the ones
used by transparency-dev/merkle (testonly/constants.go and proof/verify_test.go), which carry
them over from the original certificate-transparency C++ tests. They are written here as data.
The corruption probes mirror that suite: every mutated proof must fail.
"""

from __future__ import annotations

import hashlib
import random

import pytest

from mash.audit import merkle
from mash.errors import AuditError


def h(hexstr: str) -> bytes:
    return bytes.fromhex(hexstr)


LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]

# ROOTS[n] = Merkle Tree Hash of the first n leaf inputs.
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]

# Level-0 node hashes (the leaf hashes of LEAF_INPUTS).
LEAF_HASHES = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]

# (leaf index, tree size, audit path)
INCLUSION = [
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (0, 1, []),
]

# (old size, new size, consistency proof)
CONSISTENCY = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]

SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")
LEAVES = [merkle.leaf_hash(d) for d in LEAF_INPUTS]


def flip(b: bytes, mask: int) -> bytes:
    return bytes([b[0] ^ mask]) + b[1:]


def test_leaf_hashes_match_the_vectors() -> None:
    assert LEAVES == LEAF_HASHES


@pytest.mark.parametrize("size", range(len(ROOTS)))
def test_root_of_every_prefix_matches_the_vectors(size: int) -> None:
    assert merkle.root_hash(LEAVES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proof_generation_matches_the_vectors(
    index: int, size: int, proof: list[bytes]
) -> None:
    assert merkle.inclusion_proof(LEAVES[:size], index) == proof


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_vectors_verify(index: int, size: int, proof: list[bytes]) -> None:
    assert merkle.verify_inclusion(index, size, LEAVES[index], proof, ROOTS[size])


def inclusion_probes(
    index: int, size: int, leaf: bytes, proof: list[bytes], root: bytes
) -> dict[str, tuple[int, int, bytes, list[bytes], bytes]]:
    """The corruptions of transparency-dev/merkle's verify_test.go, each must fail."""
    probes = {
        "index - 1": (index - 1, size, leaf, proof, root),
        "index + 1": (index + 1, size, leaf, proof, root),
        "index ^ 2": (index ^ 2, size, leaf, proof, root),
        "size * 2": (index, size * 2, leaf, proof, root),
        "size // 2": (index, size // 2, leaf, proof, root),
        "wrong leaf": (index, size, b"WrongLeaf", proof, root),
        "empty root": (index, size, leaf, proof, ROOTS[0]),
        "random root": (index, size, leaf, proof, SOME_HASH),
        "trailing garbage": (index, size, leaf, [*proof, b""], root),
        "trailing root": (index, size, leaf, [*proof, root], root),
        "preceding garbage": (index, size, leaf, [b"", *proof], root),
        "preceding root": (index, size, leaf, [root, *proof], root),
    }
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flip(bad[i], 8)
        probes[f"modified proof[{i}]"] = (index, size, leaf, bad, root)
    if proof:
        probes["removed component"] = (index, size, leaf, proof[:-1], root)
    if len(proof) > 1:
        probes["inserted component"] = (index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root)
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), [v for v in INCLUSION if v[2]])
def test_tampered_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    probes = inclusion_probes(index, size, LEAVES[index], proof, ROOTS[size])
    accepted = [name for name, args in probes.items() if merkle.verify_inclusion(*args)]
    assert accepted == []


def test_single_entry_tree_inclusion() -> None:
    leaf = merkle.leaf_hash(b"data")
    assert merkle.verify_inclusion(0, 1, leaf, [], leaf)
    assert not merkle.verify_inclusion(0, 1, b"", [], leaf)
    assert not merkle.verify_inclusion(0, 1, leaf, [], b"")
    for index, size in [(0, 0), (1, 0), (2, 1)]:
        assert not merkle.verify_inclusion(index, size, SOME_HASH, [], ROOTS[0])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proof_generation_matches_the_vectors(
    old: int, new: int, proof: list[bytes]
) -> None:
    assert merkle.consistency_proof(LEAVES[:new], old) == proof


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_vectors_verify(old: int, new: int, proof: list[bytes]) -> None:
    assert merkle.verify_consistency(old, new, ROOTS[old], ROOTS[new], proof)


def consistency_probes(
    old: int, new: int, r1: bytes, r2: bytes, proof: list[bytes]
) -> dict[str, tuple[int, int, bytes, bytes, list[bytes]]]:
    probes = {
        "old - 1": (old - 1, new, r1, r2, proof),
        "old + 1": (old + 1, new, r1, r2, proof),
        "old ^ 2": (old ^ 2, new, r1, r2, proof),
        "new * 2": (old, new * 2, r1, r2, proof),
        "new // 2": (old, new // 2, r1, r2, proof),
        "wrong root1": (old, new, b"WrongRoot", r2, proof),
        "wrong root2": (old, new, r1, b"WrongRoot", proof),
        "swapped roots": (old, new, r2, r1, proof),
        "empty proof": (old, new, r1, r2, []),
        "trailing garbage": (old, new, r1, r2, [*proof, b""]),
        "trailing root1": (old, new, r1, r2, [*proof, r1]),
        "trailing root2": (old, new, r1, r2, [*proof, r2]),
        "preceding garbage": (old, new, r1, r2, [b"", *proof]),
        "preceding root1": (old, new, r1, r2, [r1, *proof]),
        "preceding root2": (old, new, r1, r2, [r2, *proof]),
        "preceding proof[0]": (old, new, r1, r2, [proof[0], *proof]),
        "truncated proof": (old, new, r1, r2, proof[:-1]),
    }
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = flip(bad[i], 16)
        probes[f"modified proof[{i}]"] = (old, new, r1, r2, bad)
    return probes


@pytest.mark.parametrize(("old", "new", "proof"), [v for v in CONSISTENCY if v[2]])
def test_tampered_consistency_proofs_fail(old: int, new: int, proof: list[bytes]) -> None:
    probes = consistency_probes(old, new, ROOTS[old], ROOTS[new], proof)
    accepted = [name for name, args in probes.items() if merkle.verify_consistency(*args)]
    assert accepted == []


def test_consistency_edge_cases() -> None:
    r1, r2 = b"don't care 1", b"don't care 2"
    assert not merkle.verify_consistency(0, 0, r1, r2, [])
    assert not merkle.verify_consistency(1, 1, r1, r2, [])
    assert merkle.verify_consistency(0, 0, r1, r1, [])
    assert merkle.verify_consistency(0, 1, r1, r2, [])
    assert merkle.verify_consistency(1, 1, r2, r2, [])
    assert not merkle.verify_consistency(1, 0, r1, r2, [])  # time travel to the past
    assert not merkle.verify_consistency(2, 1, r1, r2, [])
    assert not merkle.verify_consistency(1, 2, r1, r2, [])  # empty proof
    empty = ROOTS[0]
    assert not merkle.verify_consistency(0, 1, empty, empty, [empty])
    assert not merkle.verify_consistency(1, 1, empty, empty, [empty])


# A literal transcription of RFC 6962 section 2.1, used as an oracle for sizes the vectors
# do not cover. It is quadratic and recursive on purpose: obviously the RFC's definitions.


def rfc_mth(data: list[bytes]) -> bytes:
    n = len(data)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < n:
        k *= 2
    return hashlib.sha256(b"\x01" + rfc_mth(data[:k]) + rfc_mth(data[k:])).digest()


def rfc_path(m: int, data: list[bytes]) -> list[bytes]:
    n = len(data)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return [*rfc_path(m, data[:k]), rfc_mth(data[k:])]
    return [*rfc_path(m - k, data[k:]), rfc_mth(data[:k])]


def rfc_subproof(m: int, data: list[bytes], b: bool) -> list[bytes]:
    n = len(data)
    if m == n:
        return [] if b else [rfc_mth(data)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return [*rfc_subproof(m, data[:k], b), rfc_mth(data[k:])]
    return [*rfc_subproof(m - k, data[k:], False), rfc_mth(data[:k])]


def test_every_proof_up_to_33_leaves_agrees_with_the_rfc_definitions() -> None:
    data = [i.to_bytes(2, "big") for i in range(33)]
    hashes = [merkle.leaf_hash(d) for d in data]
    for n in range(1, len(data) + 1):
        root = rfc_mth(data[:n])
        assert merkle.root_hash(hashes[:n]) == root
        for m in range(n):
            proof = merkle.inclusion_proof(hashes[:n], m)
            assert proof == rfc_path(m, data[:n])
            assert merkle.verify_inclusion(m, n, hashes[m], proof, root)
        for m in range(1, n):
            proof = merkle.consistency_proof(hashes[:n], m)
            assert proof == rfc_subproof(m, data[:n], True)
            assert merkle.verify_consistency(m, n, rfc_mth(data[:m]), root, proof)


def test_a_changed_leaf_breaks_both_proofs() -> None:
    rng = random.Random(6962)
    hashes = [merkle.leaf_hash(rng.randbytes(16)) for _ in range(100)]
    old_root = merkle.root_hash(hashes[:60])
    for _ in range(30):
        victim = rng.randrange(60)
        forged = list(hashes)
        forged[victim] = merkle.leaf_hash(b"forged")
        forged_root = merkle.root_hash(forged)
        proof = merkle.consistency_proof(forged, 60)
        assert not merkle.verify_consistency(60, 100, old_root, forged_root, proof)
        path = merkle.inclusion_proof(forged, victim)
        assert not merkle.verify_inclusion(victim, 100, hashes[victim], path, forged_root)


def test_proof_generation_rejects_impossible_sizes() -> None:
    with pytest.raises(AuditError):
        merkle.inclusion_proof(LEAVES, 8)
    with pytest.raises(AuditError):
        merkle.consistency_proof(LEAVES, 9)
