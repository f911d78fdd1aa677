"""Realistic synthetic data for every agency and the record topics (``mash generate``).

Public API (no files needed; tests and benchmarks call these directly)::

    from mash.generate import generate, generate_records, generate_all, generate_items

    for agency, referral in generate(10_000, seed=7):  # agency: police, health or council
        ...
    for kind, record in generate_records(10_000, seed=7):  # kind: social-care, ..., health
        ...

Same ``n``, ``seed``, ``start`` and ``days``: same data, in the same order. ``generate`` and
``generate_records`` with the same arguments describe the same people (records are the agencies'
knowledge of the referred families and of a background population). ``generate_items`` adds the
ground truth (which child is which, census source code, re-referral) for scoring identity
matching and checking mixes. ``write_dataset`` writes the JSON Lines files.

Formats follow DESIGN.md exactly, as the vignettes do. Police notifications mix schema v1 and
v2 in one ``police.jsonl``: a v2 line carries ``dash_score`` (null when DASH was not completed)
and the other v2 fields (``reported_at``, ``crime_reference``, ``officer_id``,
``previous_incidents_12m``, ``child_voice``, children's ``relationship_to_victim``); a v1 line
has none of those keys. The v2 share grows from 25% to 85% over the window (a rolling upgrade).

Choices (mix, rates, formats) are documented where they are made: :mod:`.mix` (referral sources
after DfE Children in Need 2024/25, scenarios, concern codes), :mod:`.population` (households,
history), :mod:`.render` (how each agency records a person), :mod:`.identifiers` (NHS numbers in
the never-issued 999 range with valid check digits; UPNs).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mash.generate.api import generate, generate_all, generate_items, generate_records
    from mash.generate.synth import (
        DEFAULT_DAYS,
        DEFAULT_START,
        RECORD_SUBJECTS,
        REFERRAL_SUBJECTS,
        SUBJECTS,
        Item,
        Stats,
        Synthesiser,
    )
    from mash.generate.writer import FILES, DatasetSummary, write_dataset

_EXPORTS = {
    "generate": "mash.generate.api",
    "generate_all": "mash.generate.api",
    "generate_items": "mash.generate.api",
    "generate_records": "mash.generate.api",
    "DEFAULT_DAYS": "mash.generate.synth",
    "DEFAULT_START": "mash.generate.synth",
    "RECORD_SUBJECTS": "mash.generate.synth",
    "REFERRAL_SUBJECTS": "mash.generate.synth",
    "SUBJECTS": "mash.generate.synth",
    "Item": "mash.generate.synth",
    "Stats": "mash.generate.synth",
    "Synthesiser": "mash.generate.synth",
    "FILES": "mash.generate.writer",
    "DatasetSummary": "mash.generate.writer",
    "write_dataset": "mash.generate.writer",
}

__all__ = [
    "DEFAULT_DAYS",
    "DEFAULT_START",
    "FILES",
    "RECORD_SUBJECTS",
    "REFERRAL_SUBJECTS",
    "SUBJECTS",
    "DatasetSummary",
    "Item",
    "Stats",
    "Synthesiser",
    "generate",
    "generate_all",
    "generate_items",
    "generate_records",
    "write_dataset",
]


def __getattr__(name: str) -> Any:
    """Import on first use: ``mash`` loads every command module at start-up, and the name
    tables and generator code are not needed for ``mash route --help``."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
