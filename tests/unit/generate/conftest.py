"""One generated data set shared by the generator's tests (generating it once keeps them fast)."""

from __future__ import annotations

from collections import defaultdict

import pytest

from mash.generate import DEFAULT_DAYS, DEFAULT_START, Item, generate_items

SEED = 11
REFERRALS = 5000


@pytest.fixture(scope="session")
def referral_count() -> int:
    """How many referrals the shared data set has."""
    return REFERRALS


@pytest.fixture(scope="session")
def items() -> list[Item]:
    """Every message of a 5,000-referral data set, with its ground truth."""
    return list(generate_items(REFERRALS, seed=SEED, start=DEFAULT_START, days=DEFAULT_DAYS))


@pytest.fixture(scope="session")
def by_subject(items: list[Item]) -> dict[str, list[Item]]:
    """The same items grouped by subject (police, health, council, records.<kind>)."""
    grouped: dict[str, list[Item]] = defaultdict(list)
    for item in items:
        grouped[item.subject].append(item)
    return dict(grouped)
