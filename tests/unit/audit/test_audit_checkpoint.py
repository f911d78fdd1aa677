"""Signed tree heads: keys on disk, signatures, and checkpoint files that are not what they seem."""

from __future__ import annotations

import base64
import json
import stat
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mash.audit.canonical import jcs
from mash.audit.checkpoint import (
    FORMAT_V1,
    FORMAT_V2,
    TreeHead,
    generate_key,
    key_id,
    load_public_key,
    load_signing_key,
    parse_checkpoint,
    public_key_path,
    sign,
    signature_problem,
    signed_message,
)
from mash.errors import UsageError

HEAD = TreeHead(
    tree_size=12,
    root_hash="ab" * 32,
    head_hash="cd" * 32,
    access_size=3,
    access_head="ef" * 32,
    timestamp="2026-05-20T12:00:00.000000Z",
)


def test_a_generated_key_is_private_and_signs_verifiable_checkpoints(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "audit.key"
    public = generate_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert public_key_path(path).exists()
    signed = sign(HEAD, load_signing_key(path))
    assert signed.key_id == key_id(public)
    assert signature_problem(signed) is None
    assert signature_problem(signed, load_public_key(public_key_path(path))) is None
    assert signature_problem(signed, load_public_key(path)) is None  # private key file works too


def test_keygen_refuses_to_overwrite_a_key(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    generate_key(path)
    before = path.read_bytes()
    with pytest.raises(UsageError, match="refusing to overwrite"):
        generate_key(path)
    assert path.read_bytes() == before


def test_a_key_others_can_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "audit.key"
    generate_key(path)
    path.chmod(0o644)
    with pytest.raises(UsageError, match="readable by others"):
        load_signing_key(path)


def test_checkpoints_are_signed_in_format_2_over_rfc_8785_bytes() -> None:
    key = Ed25519PrivateKey.generate()
    signed = sign(HEAD, key)
    assert signed.format == FORMAT_V2 and json.loads(signed.to_json())["format"] == FORMAT_V2
    message = signed_message(HEAD, signed.key_id, signed.public_key)
    fields = {"format": FORMAT_V2, **asdict(HEAD)}
    fields.update(key_id=signed.key_id, public_key=signed.public_key)
    assert message == b"mash decision log checkpoint v2\n" + jcs(fields)
    key.public_key().verify(base64.b64decode(signed.signature), message)


def test_a_checkpoint_survives_its_json_round_trip() -> None:
    signed = sign(HEAD, Ed25519PrivateKey.generate())
    again = parse_checkpoint(signed.to_json())
    assert again == signed
    assert signature_problem(again) is None


@pytest.mark.parametrize(
    "change",
    [
        {"tree_size": 11},
        {"root_hash": "00" * 32},
        {"head_hash": "00" * 32},
        {"access_size": 2},
        {"access_head": "00" * 32},
        {"timestamp": "2027-01-01T00:00:00.000000Z"},
    ],
)
def test_any_edit_of_a_signed_head_breaks_the_signature(change: dict[str, object]) -> None:
    signed = sign(HEAD, Ed25519PrivateKey.generate())
    edited = replace(signed, head=replace(signed.head, **change))  # type: ignore[arg-type]
    assert "signature is invalid" in str(signature_problem(edited))


def test_a_checkpoint_by_another_key_is_not_trusted() -> None:
    ours, theirs = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    forged = sign(HEAD, theirs)
    assert signature_problem(forged) is None  # intact ...
    assert "not trusted key" in str(signature_problem(forged, ours.public_key()))  # ... not ours


def test_a_swapped_public_key_is_noticed() -> None:
    signed = sign(HEAD, Ed25519PrivateKey.generate())
    other = sign(HEAD, Ed25519PrivateKey.generate())
    assert signature_problem(replace(signed, public_key=other.public_key)) is not None


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("not json", "not JSON"),
        ("[]", "not a decision-log checkpoint"),
        (json.dumps({"format": "other"}), "not a decision-log checkpoint"),
        (json.dumps({"format": "mash-decision-log-checkpoint/3"}), f"{FORMAT_V1} or {FORMAT_V2}"),
        (json.dumps({"format": "mash-decision-log-checkpoint/1"}), "tree_size is missing"),
        (json.dumps({"format": "mash-decision-log-checkpoint/2"}), "tree_size is missing"),
    ],
)
def test_malformed_checkpoint_files_are_usage_errors(text: str, complaint: str) -> None:
    with pytest.raises(UsageError, match=complaint):
        parse_checkpoint(text)
