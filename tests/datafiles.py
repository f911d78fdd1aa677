"""Test data kept inside the repository, so a clone with nothing beside it runs every test.

``VIGNETTES`` is a copy of the public threshold vignettes (referrals drawn from published
guidance, with the routes they should get; see its README). No test reads anything outside
the repository.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent / "data"
VIGNETTES = DATA / "guidance" / "vignettes"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """Every non-blank line of a JSON Lines file, parsed."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
