"""Signed tree heads ("checkpoints") of the decision log, Ed25519 via ``cryptography``.

Why: the hash chain shows that entries fit together, but someone with write access to the
database could rewrite the whole chain from some point on, or cut its tail, and it would
still fit together. A checkpoint (tree size, Merkle root, chain head, time) signed with a key
the database never sees, and kept by auditors outside it, pins the log as it was: later,
``verify`` proves with an RFC 6962 consistency proof that today's log still starts with the
signed tree, and so detects any rewrite, truncation or rollback behind a checkpoint.

A checkpoint says its format, which fixes the bytes signed: format 2 (every checkpoint signed
now) is a domain label and the RFC 8785 bytes of every field but the signature; format 1
(checkpoints signed before) used Python's canonical JSON and its own label. Both verify.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from mash.audit.canonical import FORMAT_1, FORMAT_2, canonical_json
from mash.errors import UsageError

FORMAT_V1 = "mash-decision-log-checkpoint/1"
FORMAT_V2 = "mash-decision-log-checkpoint/2"
FORMAT = FORMAT_V2
# Per checkpoint format: the label signed before the body, and the body's canonical JSON.
_SIGNED_AS: dict[str, tuple[bytes, int]] = {
    FORMAT_V1: (b"mash decision log checkpoint v1\n", FORMAT_1),
    FORMAT_V2: (b"mash decision log checkpoint v2\n", FORMAT_2),
}


@dataclass(frozen=True, slots=True)
class TreeHead:
    """What a checkpoint pins: both logs' sizes and heads, and the decisions' Merkle root."""

    tree_size: int
    root_hash: str
    head_hash: str
    access_size: int
    access_head: str
    timestamp: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head with the signer's public key, Ed25519 signature and format."""

    head: TreeHead
    key_id: str
    public_key: str
    signature: str
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": self.format,
                **asdict(self.head),
                "key_id": self.key_id,
                "public_key": self.public_key,
                "signature": self.signature,
            },
            indent=2,
        )


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key: Ed25519PublicKey) -> str:
    """A short fingerprint of a public key, printed so people can compare keys by eye."""
    return hashlib.sha256(_raw_public(key)).hexdigest()[:16]


def signed_message(
    head: TreeHead, key_fingerprint: str, public_key: str, fmt: str = FORMAT
) -> bytes:
    """The signed bytes: the format's domain label, then the canonical JSON (in that format)
    of every field but the signature, the format itself included."""
    label, json_format = _SIGNED_AS[fmt]
    body = {"format": fmt, **asdict(head), "key_id": key_fingerprint, "public_key": public_key}
    return label + canonical_json(body, json_format)


def sign(head: TreeHead, private_key: Ed25519PrivateKey) -> Checkpoint:
    """A checkpoint of ``head`` in the current format."""
    public = private_key.public_key()
    encoded = base64.b64encode(_raw_public(public)).decode()
    fingerprint = key_id(public)
    signature = private_key.sign(signed_message(head, fingerprint, encoded))
    return Checkpoint(head, fingerprint, encoded, base64.b64encode(signature).decode())


def signature_problem(
    checkpoint: Checkpoint, trusted: Ed25519PublicKey | None = None
) -> str | None:
    """Why the checkpoint's signature cannot be trusted, or None when it holds.

    With ``trusted`` the signer must be that key; without it, the embedded key is used and
    only proves the checkpoint is intact (compare its key id with the auditors' record).
    """
    try:
        raw = base64.b64decode(checkpoint.public_key, validate=True)
        public = Ed25519PublicKey.from_public_bytes(raw)
        signature = base64.b64decode(checkpoint.signature, validate=True)
    except (ValueError, binascii.Error):
        return "checkpoint's public key or signature is malformed"
    if trusted is not None and _raw_public(trusted) != raw:
        return f"checkpoint was signed by key {key_id(public)}, not trusted key {key_id(trusted)}"
    if key_id(public) != checkpoint.key_id:
        return "checkpoint's key id does not match its public key"
    if checkpoint.format not in _SIGNED_AS:
        return f"checkpoint format {checkpoint.format!r} is not one this version knows"
    message = signed_message(
        checkpoint.head, checkpoint.key_id, checkpoint.public_key, checkpoint.format
    )
    try:
        public.verify(signature, message)
    except InvalidSignature:
        return "checkpoint signature is invalid: the checkpoint was altered or forged"
    return None


def _field(data: dict[str, Any], name: str, kind: type) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise UsageError(f"checkpoint file: {name} is missing or not a {kind.__name__}")
    return value


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint file's JSON; a malformed file is a usage error (exit 2)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(f"checkpoint file is not JSON: {exc.msg}") from exc
    if not isinstance(data, dict) or data.get("format") not in _SIGNED_AS:
        expected = " or ".join(_SIGNED_AS)
        raise UsageError(f"not a decision-log checkpoint (expected format {expected})")
    head = TreeHead(
        tree_size=_field(data, "tree_size", int),
        root_hash=_field(data, "root_hash", str),
        head_hash=_field(data, "head_hash", str),
        access_size=_field(data, "access_size", int),
        access_head=_field(data, "access_head", str),
        timestamp=_field(data, "timestamp", str),
    )
    return Checkpoint(
        head,
        _field(data, "key_id", str),
        _field(data, "public_key", str),
        _field(data, "signature", str),
        str(data["format"]),
    )


def load_checkpoint(path: Path) -> Checkpoint:
    try:
        return parse_checkpoint(path.read_text())
    except OSError as exc:
        raise UsageError(f"cannot read checkpoint {path}: {exc.strerror}") from exc


def public_key_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def generate_key(path: Path) -> Ed25519PublicKey:
    """Create a new signing key at ``path`` (mode 0600) and its public key at ``path.pub``.

    Refuses to overwrite: losing the old key would orphan every checkpoint signed with it.
    """
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise UsageError(f"{path} already exists; refusing to overwrite a signing key") from exc
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    os.chmod(path, 0o600)
    public = key.public_key()
    public_key_path(path).write_bytes(
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return public


def load_signing_key(path: Path) -> Ed25519PrivateKey:
    """The private key at ``path``; refused when others may read it (as ssh does)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read signing key {path}: {exc.strerror}") from exc
    if mode & 0o077:
        raise UsageError(f"signing key {path} is readable by others (mode {mode:o}); chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not an unencrypted PEM private key") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    """A trusted public key from a PEM public key file (or the private key itself)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read key {path}: {exc.strerror}") from exc
    try:
        if b"PRIVATE KEY" in data:
            return load_signing_key(path).public_key()
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise UsageError(f"{path} is not a PEM public key") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key")
    return key
