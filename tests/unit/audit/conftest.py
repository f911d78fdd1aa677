"""Decision dicts in the contract's shape (DESIGN.md / the team brief), for the log's tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from audit_samples import sample_decision


@pytest.fixture
def make_decision() -> Callable[..., dict[str, Any]]:
    return sample_decision
