"""docs/audit-format.md's worked example, recomputed with the log's own code.

If the code changes what it hashes, or someone edits a number in the document, this fails:
the page auditors follow cannot drift from what the log does.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime

import audit_format_doc as doc
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mash.audit import merkle
from mash.audit.canonical import FORMAT_1, canonical_json
from mash.audit.chain import GENESIS, entry_leaf, row_of, seal
from mash.audit.checkpoint import (
    FORMAT_V2,
    TreeHead,
    parse_checkpoint,
    sign,
    signature_problem,
    signed_message,
)
from mash.audit.entries import prepare, prepare_entry
from mash.audit.verify import check_decisions

CREATED_AT = doc.fields("batch")["created_at"]


def leaves() -> list[bytes]:
    return [entry_leaf(seq, CREATED_AT, doc.json_block(f"decision-{seq}")) for seq in (1, 2, 3)]


def test_each_entry_is_spelled_and_hashed_as_the_document_says() -> None:
    previous = GENESIS
    for seq, leaf in enumerate(leaves(), start=1):
        decision = doc.json_block(f"decision-{seq}")
        expected = doc.fields(f"entry-{seq}")
        assert prepare(decision) == decision  # a decision the log accepts as it is
        body = canonical_json(decision)
        assert body.decode() == expected["jcs"]
        assert canonical_json(decision, FORMAT_1).decode() == expected["format-1 spelling"]
        assert hashlib.sha256(body).hexdigest() == expected["decision_sha256"]
        assert leaf.decode() == expected["leaf"]
        assert previous.hex() == expected["prev_hash"]
        previous = hashlib.sha256(previous + leaf).digest()
        assert previous.hex() == expected["entry_hash"]
        assert hashlib.sha256(b"\x00" + leaf).hexdigest() == expected["leaf_hash"]
    assert f"the {len(leaves()[0])} bytes of `leaf`" in doc.text()


def test_the_store_seals_the_example_to_the_same_hashes() -> None:
    prepared = [prepare_entry(doc.json_block(f"decision-{seq}")) for seq in (1, 2, 3)]
    sealed = seal(prepared, 0, GENESIS, CREATED_AT)
    rows = [row_of(entry, datetime.fromisoformat(CREATED_AT)) for entry in sealed]
    assert [r["entry_hash"] for r in rows] == [
        doc.fields(f"entry-{seq}")["entry_hash"] for seq in (1, 2, 3)
    ]
    scan = check_decisions(rows)
    assert not scan.problems
    assert merkle.root_hash(scan.leaf_hashes).hex() == doc.fields("tree")["root_hash"]


def test_the_tree_and_both_proofs_are_as_the_document_says() -> None:
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves()]
    tree = doc.fields("tree")
    root = merkle.root_hash(hashes)
    assert merkle.node_hash(hashes[0], hashes[1]).hex() == tree["node_1_2"]
    assert root.hex() == tree["root_hash"]

    inclusion = doc.fields("inclusion")
    index, size = int(inclusion["leaf_index"]), int(inclusion["tree_size"])
    proof = merkle.inclusion_proof(hashes, index)
    assert [h.hex() for h in proof] == inclusion["proof"].split(", ")
    assert merkle.verify_inclusion(index, size, hashes[index], proof, root)

    consistency = doc.fields("consistency")
    old_size = int(consistency["old_size"])
    proof = merkle.consistency_proof(hashes, old_size)
    assert [h.hex() for h in proof] == consistency["proof"].split(", ")
    old_root = bytes.fromhex(consistency["old_root"])
    assert merkle.root_hash(hashes[:old_size]) == old_root
    assert merkle.verify_consistency(old_size, int(consistency["new_size"]), old_root, root, proof)


def test_the_checkpoint_is_signed_as_the_document_says() -> None:
    document = doc.json_block("checkpoint")
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(doc.fields("signing-key")["seed"]))
    head = TreeHead(
        tree_size=3,
        root_hash=doc.fields("tree")["root_hash"],
        head_hash=doc.fields("entry-3")["entry_hash"],
        access_size=0,
        access_head=GENESIS.hex(),
        timestamp=document["timestamp"],
    )
    signed = sign(head, key)
    assert json.loads(signed.to_json()) == document
    assert signed.format == FORMAT_V2
    message = doc.fields("signed-message")
    expected = f"{message['label']}\n{message['body']}".encode()
    assert signed_message(head, signed.key_id, signed.public_key) == expected
    assert signature_problem(parse_checkpoint(json.dumps(document)), key.public_key()) is None
