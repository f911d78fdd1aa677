"""The public vignettes (``tests/data/guidance/vignettes``), routed through the real agency
mappings, record index and router."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from datafiles import VIGNETTES, read_jsonl

from mash.agencies import to_referral
from mash.domain.records import RECORD_KINDS, RecordIndex
from mash.domain.referral import Referral

RECEIVED = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
AGENCIES = ("police", "health", "council")


@pytest.fixture(scope="session")
def vignettes() -> Path:
    return VIGNETTES


@pytest.fixture(scope="session")
def expected(vignettes: Path) -> dict[tuple[str, str, int], dict[str, Any]]:
    rows = read_jsonl(vignettes / "expected.jsonl")
    return {(row["agency"], row["source_id"], row["child_index"]): row for row in rows}


@pytest.fixture(scope="session")
def referrals(vignettes: Path) -> list[Referral]:
    return [
        to_referral(agency, record, RECEIVED)
        for agency in AGENCIES
        for record in read_jsonl(vignettes / f"{agency}.jsonl")
    ]


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
