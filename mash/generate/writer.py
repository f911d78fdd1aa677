"""Writes a generated data set as JSON Lines files (the imperative shell of ``mash generate``).

Layout of ``DIR`` (what ``mash publish``, ``mash records load`` and ``mash route --records``
read)::

    police.jsonl  health.jsonl  council.jsonl
    records/social-care.jsonl  records/early-help.jsonl  records/police.jsonl
    records/health.jsonl
    manifest.json   (arguments, line counts and mix statistics: no personal data)

Files are written through large buffers to ``*.tmp`` names and renamed into place at the end,
so an interrupted run never leaves a half-written file that looks complete. Same arguments,
same bytes: nothing here reads the clock.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any

from mash import __version__
from mash.errors import MashError
from mash.generate.synth import REFERRAL_SUBJECTS, SUBJECTS, Stats, Synthesiser

FILES: dict[str, str] = {
    "police": "police.jsonl",
    "health": "health.jsonl",
    "council": "council.jsonl",
    "records.social-care": "records/social-care.jsonl",
    "records.early-help": "records/early-help.jsonl",
    "records.police": "records/police.jsonl",
    "records.health": "records/health.jsonl",
}
MANIFEST = "manifest.json"
BUFFER_BYTES = 1 << 20
PROGRESS_EVERY = 1000

_encode = json.JSONEncoder(ensure_ascii=False).encode
"""One encoder for every line: ``json.dumps`` with any non-default option builds a new encoder
per call, which costs more than the encoding itself."""


@dataclass(frozen=True)
class DatasetSummary:
    """What was written: line counts per file and the mix statistics."""

    out: Path
    counts: dict[str, int]
    stats: Stats
    manifest: dict[str, Any]


def write_dataset(
    out: Path,
    referrals: int,
    seed: int,
    start: datetime,
    days: int,
    on_progress: Callable[[int], None] | None = None,
) -> DatasetSummary:
    """Generate ``referrals`` referrals and their records into ``out``.

    ``on_progress(k)`` is called every :data:`PROGRESS_EVERY` referrals with the number done
    since the last call (and once at the end with the rest).
    """
    synth = Synthesiser(seed, start, days)
    paths = {subject: out / FILES[subject] for subject in SUBJECTS}
    try:
        (out / "records").mkdir(parents=True, exist_ok=True)
        counts = _write_items(synth, referrals, paths, on_progress)
        for path in paths.values():
            os.replace(_tmp(path), path)
        manifest = _manifest(synth, referrals, seed, start, days, counts)
        (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        _remove_tmp(paths.values())
        raise MashError(f"cannot write the data set to {out}: {exc.strerror or exc}") from exc
    return DatasetSummary(out=out, counts=counts, stats=synth.stats, manifest=manifest)


def _tmp(path: Path) -> Path:
    return path.with_name(path.name + ".tmp")


def _remove_tmp(paths: Any) -> None:
    for path in paths:
        _tmp(path).unlink(missing_ok=True)


def _write_items(
    synth: Synthesiser,
    referrals: int,
    paths: dict[str, Path],
    on_progress: Callable[[int], None] | None,
) -> dict[str, int]:
    counts = dict.fromkeys(SUBJECTS, 0)
    handles: dict[str, IO[str]] = {}
    try:
        for subject, path in paths.items():
            handles[subject] = open(  # noqa: SIM115 - closed in finally, many at once
                _tmp(path), "w", encoding="utf-8", buffering=BUFFER_BYTES, newline="\n"
            )
        writers = {subject: handle.write for subject, handle in handles.items()}
        done = 0
        for item in synth.items(referrals):
            writers[item.subject](_encode(item.value) + "\n")
            counts[item.subject] += 1
            if on_progress is not None and item.subject in REFERRAL_SUBJECTS:
                done += 1
                if done == PROGRESS_EVERY:
                    on_progress(done)
                    done = 0
        if on_progress is not None and done:
            on_progress(done)
    except BaseException:
        for handle in handles.values():
            handle.close()
        _remove_tmp(paths.values())
        raise
    for handle in handles.values():
        handle.close()
    return counts


def _manifest(
    synth: Synthesiser,
    referrals: int,
    seed: int,
    start: datetime,
    days: int,
    counts: dict[str, int],
) -> dict[str, Any]:
    return {
        "generator": f"mash generate {__version__}",
        "seed": seed,
        "referrals": referrals,
        "start": start.replace(tzinfo=None).isoformat() + "Z",
        "days": days,
        "files": {FILES[subject]: counts[subject] for subject in SUBJECTS},
        "stats": asdict(synth.stats)
        | {"children_by_source": dict(sorted(synth.stats.children_by_source.items()))},
    }
