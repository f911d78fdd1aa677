"""The public vignettes (``../shared/data/vignettes``), routed through the real agency mappings,
record index and router. Tests that need them skip only when the directory does not exist."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from mash.agencies import to_referral
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.referral import Referral

REPO = Path(__file__).resolve().parents[3]
VIGNETTES = Path(os.environ.get("MASH_VIGNETTES", REPO.parent / "shared/data/vignettes"))
RECEIVED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
AGENCIES = ("police", "health", "council")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


@pytest.fixture(scope="session")
def vignettes() -> Path:
    if not VIGNETTES.is_dir():
        pytest.skip(f"no vignettes at {VIGNETTES}")
    return VIGNETTES


@pytest.fixture(scope="session")
def expected(vignettes: Path) -> dict[tuple[str, str, int], dict[str, Any]]:
    rows = read_jsonl(vignettes / "expected.jsonl")
    return {(row["agency"], row["source_id"], row["child_index"]): row for row in rows}


@pytest.fixture(scope="session")
def referrals(vignettes: Path) -> list[Referral]:
    return [to_referral(agency, record, RECEIVED)
            for agency in AGENCIES for record in read_jsonl(vignettes / f"{agency}.jsonl")]


IndexFor = Callable[[frozenset[str]], RecordIndex]


@pytest.fixture(scope="session")
def index_for(vignettes: Path) -> IndexFor:
    """The vignettes' records, with the given kinds never loaded (so UNAVAILABLE)."""

    def build(unavailable: frozenset[str] = frozenset()) -> RecordIndex:
        index = RecordIndex()
        for kind in RECORD_KINDS:
            if kind not in unavailable:
                index.load(kind, read_jsonl(vignettes / "records" / f"{kind}.jsonl"))
        return index

    return build
