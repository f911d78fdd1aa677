"""Recompute everything the log claims and say where it stops holding (pure: rows in, report out).

What is checked, entry by entry in position order: positions run 1, 2, 3 ... without gaps;
the entry's format is one this version knows; the stored decision is canonical JSON in that
format (RFC 8785 for format 2, Python's for format 1: canonical.py); every searchable column
equals what the decision says; each entry chains to the one before; each entry's hash,
recomputed by its own format, matches its content. Then the Merkle root over all entries
is recomputed, the access log is checked the same way, and a checkpoint (if given) must
carry a valid signature and be a prefix of today's log, proved by an RFC 6962 consistency
proof: this is what catches a rewritten or truncated tail that still chains perfectly.

After a broken entry the scan carries on from that entry's stored hash, so one edit is
reported once (not as a cascade), and the first problem names its position and decision id.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mash.audit import merkle
from mash.audit.canonical import FORMAT_1, FORMATS, canonical_json
from mash.audit.chain import GENESIS, access_leaf, chain_hash, decision_leaf, entry_leaf
from mash.audit.checkpoint import Checkpoint, TreeHead, sign, signature_problem
from mash.audit.entries import columns_of, format_instant
from mash.errors import AuditError, MashError

MAX_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing that does not hold, located by log, position and decision id."""

    log: str
    seq: int | None
    decision_id: str | None
    message: str

    def __str__(self) -> str:
        where = self.log if self.seq is None else f"{self.log} entry {self.seq}"
        if self.decision_id:
            where += f" (decision {self.decision_id})"
        return f"{where}: {self.message}"


@dataclass
class ChainScan:
    """The outcome of walking one chain: size, hashes as recomputed, and problems found."""

    size: int = 0
    head_hash: bytes = GENESIS
    entry_hashes: list[bytes] = field(default_factory=list)
    leaf_hashes: list[bytes] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


@dataclass(frozen=True)
class VerifyReport:
    """Everything verify found; ``ok`` only when every check held."""

    entries: int
    access_entries: int
    root_hash: str
    head_hash: str
    problems: tuple[Problem, ...]
    problem_count: int
    checkpoint: TreeHead | None

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def _utc(moment: Any) -> Any:
    if isinstance(moment, datetime):
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return moment


def _same(stored: Any, derived: Any) -> bool:
    """Compare a stored column with its derived value (SQLite returns naive UTC times)."""
    return bool(_utc(stored) == _utc(derived))


def _hex(value: Any) -> bytes | None:
    try:
        raw = bytes.fromhex(value) if isinstance(value, str) else None
    except ValueError:
        return None
    return raw if raw is not None and len(raw) == merkle.HASH_SIZE else None


def _format_of(row: Mapping[str, Any]) -> tuple[int | None, list[str]]:
    """The entry's own format, which picks how its hash is recomputed.

    A row without the field predates formats (format 1); a number this version does not
    know is reported, not guessed, and the entry's hash then cannot match.
    """
    fmt = row.get("format", FORMAT_1)
    if isinstance(fmt, bool) or not isinstance(fmt, int):
        return None, ["its format is not a number (edited)"]
    if fmt not in FORMATS:
        known = " and ".join(str(f) for f in FORMATS)
        return None, [f"its format {fmt} is not one this version knows ({known}): edited?"]
    return fmt, []


def _parse_body(
    row: Mapping[str, Any], fmt: int | None
) -> tuple[dict[str, Any] | None, bytes | None, list[str]]:
    """The sealed decision, its canonical bytes in the entry's format, and what is wrong.

    The hash is recomputed from the decision as an auditor would from an export, so the
    stored text must be exactly the canonical spelling of the decision it holds.
    """
    body = row.get("body")
    try:
        decision = json.loads(body) if isinstance(body, str) else None
    except json.JSONDecodeError:
        decision = None
    if not isinstance(decision, dict):
        return None, None, ["the sealed decision is not a JSON object (edited)"]
    if fmt is None:
        return decision, None, []
    try:
        canonical = canonical_json(decision, fmt)
    except ValueError:  # NaN, a lone surrogate, a number beyond 2^53 (NotCanonical)
        return decision, None, [f"the sealed decision has no format-{fmt} spelling (edited)"]
    if canonical.decode("utf-8") != body:
        return decision, canonical, ["the sealed decision is not in canonical form (edited)"]
    return decision, canonical, []


def _column_problems(row: Mapping[str, Any], decision: Mapping[str, Any]) -> list[str]:
    try:
        derived = columns_of(decision)
    except MashError:
        return ["the sealed decision is no longer a valid decision (edited)"]
    return [
        f"column {name} does not match the sealed decision"
        for name, value in derived.items()
        if not _same(row.get(name), value)
    ]


def _leaf_of(
    row: Mapping[str, Any],
    fmt: int | None,
    decision: Mapping[str, Any] | None,
    canonical: bytes | None,
) -> bytes:
    """The entry's leaf as recomputed from its decision, by its own format.

    When there is nothing to recompute from (unreadable body, unknown format), the raw body
    stands in: its hash cannot match, and the Merkle tree still has a leaf at that position.
    """
    if fmt is None or decision is None or canonical is None:
        return str(row.get("body")).encode("utf-8", "replace")
    created = row.get("created_at")
    created_text = format_instant(_utc(created)) if isinstance(created, datetime) else ""
    seq = int(row.get("seq") or 0)
    if fmt == FORMAT_1:
        return entry_leaf(seq, created_text, decision, FORMAT_1)
    return decision_leaf(seq, created_text, canonical)


def _chain_problems(row: Mapping[str, Any], leaf: bytes, previous: bytes, seq: int) -> list[str]:
    problems = []
    prev = _hex(row.get("prev_hash"))
    if prev != previous:
        problems.append(
            f"does not chain to entry {seq - 1}: an entry before it was changed, "
            "removed or inserted"
        )
    stored = _hex(row.get("entry_hash"))
    if stored is None or stored != chain_hash(prev or previous, leaf):
        problems.append("its hash does not match its content (the entry was changed)")
    return problems


_EntryReader = Callable[[Mapping[str, Any]], tuple[bytes, list[str], str | None]]


def _walk(
    rows: Iterable[Mapping[str, Any]],
    log: str,
    noun: str,
    read: _EntryReader,
    merkle_leaves: bool,
) -> ChainScan:
    """Walk one hash chain in position order: positions run 1, 2, 3, ... and each entry's hash
    chains from the one before. ``read`` recomputes one entry's leaf and finds what is wrong
    inside it; ``noun`` names an entry in the problems ("entry", "record")."""
    scan = ChainScan()
    previous = GENESIS
    last_seq = 0
    article = "an" if noun[0] in "aeiou" else "a"
    for position, row in enumerate(rows, start=1):
        seq, expected = row.get("seq"), last_seq + 1
        last_seq = seq if isinstance(seq, int) else expected
        leaf, problems, entry_id = read(row)
        if seq != expected:
            problems.insert(
                0,
                f"found where {noun} {expected} was expected: {article} {noun} is "
                "missing, inserted or out of order",
            )
        problems += _chain_problems(row, leaf, previous, expected)
        for message in problems:
            scan.add(Problem(log, int(seq or 0), entry_id, message))
        if merkle_leaves:
            scan.leaf_hashes.append(merkle.leaf_hash(leaf))
        previous = _hex(row.get("entry_hash")) or chain_hash(previous, leaf)
        scan.entry_hashes.append(previous)
        scan.size = position
    scan.head_hash = previous
    return scan


def _decision_entry(row: Mapping[str, Any]) -> tuple[bytes, list[str], str | None]:
    fmt, problems = _format_of(row)
    decision, canonical, body_problems = _parse_body(row, fmt)
    problems += body_problems
    decision_id = str(row.get("decision_id") or (decision or {}).get("decision_id") or "")
    if decision is not None:
        problems += _column_problems(row, decision)
    return _leaf_of(row, fmt, decision, canonical), problems, decision_id


def check_decisions(rows: Iterable[Mapping[str, Any]]) -> ChainScan:
    """Walk the decision log in position order and recompute every entry."""
    return _walk(rows, "decision log", "entry", _decision_entry, merkle_leaves=True)


def _access_leaf(row: Mapping[str, Any]) -> tuple[bytes, list[str]]:
    raw = str(row.get("detail")).encode("utf-8", "replace")
    fmt, problems = _format_of(row)
    try:
        detail = json.loads(row.get("detail") or "")
    except json.JSONDecodeError:
        return raw, [*problems, "the recorded detail is not JSON (edited)"]
    if fmt is None:
        return raw, problems
    at = row.get("at")
    at_text = format_instant(_utc(at)) if isinstance(at, datetime) else ""
    who, action = str(row.get("who")), str(row.get("action"))
    try:
        leaf = access_leaf(int(row.get("seq") or 0), at_text, who, action, detail, fmt)
    except ValueError:
        return raw, [f"the recorded detail has no format-{fmt} spelling (edited)"]
    return leaf, []


def _access_entry(row: Mapping[str, Any]) -> tuple[bytes, list[str], str | None]:
    leaf, problems = _access_leaf(row)
    return leaf, problems, None


def check_access(rows: Iterable[Mapping[str, Any]]) -> ChainScan:
    """Walk the access log (who read what, when) the same way."""
    return _walk(rows, "access log", "record", _access_entry, merkle_leaves=False)


def _tree_problems(head: TreeHead, decisions: ChainScan, root: bytes) -> list[str]:
    if head.tree_size > decisions.size:
        return [
            f"the log has {decisions.size} entries but the checkpoint signed "
            f"{head.tree_size}: entries were removed (truncation or rollback)"
        ]
    signed_root = _hex(head.root_hash)
    proof = merkle.consistency_proof(decisions.leaf_hashes, head.tree_size)
    consistent = signed_root is not None and merkle.verify_consistency(
        head.tree_size, decisions.size, signed_root, root, proof
    )
    if not consistent:
        return [
            f"the log no longer contains the tree of {head.tree_size} entries signed at "
            f"{head.timestamp}: an entry up to position {head.tree_size} was changed, "
            "removed, inserted or reordered"
        ]
    if head.tree_size and decisions.entry_hashes[head.tree_size - 1].hex() != head.head_hash:
        return [f"the chain hash of entry {head.tree_size} differs from the signed one"]
    return []


def _access_problems(head: TreeHead, access: ChainScan) -> list[str]:
    if head.access_size > access.size:
        return [
            f"the access log has {access.size} records but the checkpoint signed "
            f"{head.access_size}: records of who read the log were removed"
        ]
    at = access.entry_hashes[head.access_size - 1] if head.access_size else GENESIS
    if at.hex() != head.access_head:
        return [f"the access log up to record {head.access_size} differs from the signed one"]
    return []


def check_checkpoint(
    checkpoint: Checkpoint,
    decisions: ChainScan,
    access: ChainScan,
    trusted: Ed25519PublicKey | None = None,
) -> list[Problem]:
    """Signature, then: is the signed tree still a prefix of the log (and the access log)?"""
    root = merkle.root_hash(decisions.leaf_hashes)
    messages = []
    bad_signature = signature_problem(checkpoint, trusted)
    if bad_signature:
        messages.append(bad_signature)
    messages += _tree_problems(checkpoint.head, decisions, root)
    messages += _access_problems(checkpoint.head, access)
    return [Problem("checkpoint", None, None, m) for m in messages]


def build_report(
    decisions: ChainScan,
    access: ChainScan,
    checkpoint: Checkpoint | None = None,
    trusted: Ed25519PublicKey | None = None,
) -> VerifyReport:
    """Combine the scans (and the checkpoint check) into one report."""
    problems = [*decisions.problems, *access.problems]
    count = decisions.problem_count + access.problem_count
    if checkpoint is not None:
        signed = check_checkpoint(checkpoint, decisions, access, trusted)
        problems += signed
        count += len(signed)
    return VerifyReport(
        entries=decisions.size,
        access_entries=access.size,
        root_hash=merkle.root_hash(decisions.leaf_hashes).hex(),
        head_hash=decisions.head_hash.hex(),
        problems=tuple(problems),
        problem_count=count,
        checkpoint=None if checkpoint is None else checkpoint.head,
    )


def tree_head(decisions: ChainScan, access: ChainScan, timestamp: str) -> TreeHead:
    """The head a checkpoint signs, from scans that found no problem."""
    return TreeHead(
        tree_size=decisions.size,
        root_hash=merkle.root_hash(decisions.leaf_hashes).hex(),
        head_hash=decisions.head_hash.hex(),
        access_size=access.size,
        access_head=access.head_hash.hex(),
        timestamp=timestamp,
    )


class LogRows(Protocol):
    """Where verify reads from: the store (or anything yielding the same rows)."""

    def entry_rows(self) -> Iterator[dict[str, Any]]: ...

    def access_rows(self) -> Iterator[dict[str, Any]]: ...


Track = Callable[[Iterable[dict[str, Any]]], Iterable[dict[str, Any]]]


def _untracked(rows: Iterable[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    return rows


def verify_log(
    log: LogRows,
    checkpoint: Checkpoint | None = None,
    trusted: Ed25519PublicKey | None = None,
    track: Track = _untracked,
) -> VerifyReport:
    """Recompute both chains, the Merkle root and (optionally) a checkpoint against them."""
    decisions = check_decisions(track(log.entry_rows()))
    access = check_access(log.access_rows())
    return build_report(decisions, access, checkpoint, trusted)


def checkpoint_log(
    log: LogRows, key: Ed25519PrivateKey, now: datetime, track: Track = _untracked
) -> Checkpoint:
    """Sign the log's current tree head, but only after it verifies: a signature vouches."""
    decisions = check_decisions(track(log.entry_rows()))
    access = check_access(log.access_rows())
    report = build_report(decisions, access)
    if not report.ok:
        raise AuditError(f"refusing to sign a log that does not verify: {report.first}")
    return sign(tree_head(decisions, access, format_instant(now)), key)
