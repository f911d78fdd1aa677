"""The generator's tables and samplers: weights honoured, consistency rules enforced."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from mash.generate.mix import (
    CIN_SOURCE_SHARES_2025,
    build_channels,
    code_allowed,
    target_source_shares,
)
from mash.generate.reference import (
    STOCKTON_DISTRICTS,
    ascii_fold,
    name_pools,
    postcode_sectors,
    spelling_variants,
)
from mash.generate.sampling import Weighted, small_count


def test_weighted_pick_follows_the_weights() -> None:
    table = Weighted.from_mapping({"a": 1, "b": 3})
    rng = Random(0)
    counts = Counter(table.pick(rng) for _ in range(20_000))
    assert counts["b"] / 20_000 == pytest.approx(0.75, abs=0.02)
    assert table.share("a") == pytest.approx(0.25)
    assert table.share("zzz") == 0


def test_weighted_needs_a_positive_weight() -> None:
    with pytest.raises(ValueError):
        Weighted.of([("a", 0.0)])


def test_small_count_has_the_asked_mean_and_cap() -> None:
    rng = Random(1)
    draws = [small_count(rng, 0.5, 4) for _ in range(20_000)]
    assert max(draws) == 4
    assert sum(draws) / len(draws) == pytest.approx(0.5, abs=0.05)


def test_published_shares_add_up_and_police_lead() -> None:
    assert sum(CIN_SOURCE_SHARES_2025.values()) == pytest.approx(100.0)
    shares = target_source_shares()
    assert sum(shares.values()) == pytest.approx(1.0)
    health = sum(v for k, v in shares.items() if k.startswith("3"))
    assert shares["6"] > shares["2A"] > health > shares["4"]


def test_every_channel_has_a_known_census_source() -> None:
    for channel in build_channels():
        assert channel.source_code in CIN_SOURCE_SHARES_2025
        assert channel.share > 0


@pytest.mark.parametrize(
    ("code", "age", "sex", "allowed"),
    [
        ("MISSED_IMMUNISATIONS", 1.5, "M", True),
        ("MISSED_IMMUNISATIONS", 12.0, "M", False),
        ("PREGNANT", 15.0, "F", True),
        ("PREGNANT", 9.0, "F", False),
        ("PREGNANT", 15.0, "M", False),
        ("22A", 6.0, "M", False),
        ("HOMELESS", 14.0, "F", False),
        ("HOMELESS", 16.5, "F", True),
        ("FAILURE_TO_THRIVE", 4.0, "F", False),
        ("3B", None, "M", True),
        ("11A", None, "F", False),
        ("SUBSTANCE_EXPOSURE", None, "F", True),
    ],
)
def test_codes_fit_the_child(code: str, age: float | None, sex: str, allowed: bool) -> None:
    assert code_allowed(code, age, sex) is allowed


def test_name_pools_cover_every_group_and_kind() -> None:
    pools = name_pools()
    for group in pools.groups:
        for kind in ("girl", "boy", "woman", "man", "surname"):
            assert pools.pool(group, kind).items, (group, kind)
    assert len(pools.groups) >= 5


def test_spelling_variants_are_symmetric_and_include_ascii_folds() -> None:
    variants = spelling_variants()
    assert "Muhammad" in variants["Mohammed"]
    assert "Mohammed" in variants["Muhammad"]
    assert "Jaydon" in variants["Jayden"]
    assert "Wojcik" in variants["Wójcik"]
    assert ascii_fold("Łukasz Stępień") == "Lukasz Stepien"


def test_postcode_sectors_are_mostly_stockton() -> None:
    sectors = postcode_sectors()
    stockton = sum(sectors.share(s) for s in set(sectors.items) if s.district in STOCKTON_DISTRICTS)
    assert 0.75 < stockton < 0.95
    assert all(s.district.startswith("TS") for s in sectors.items)
