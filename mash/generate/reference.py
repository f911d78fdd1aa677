"""Reference tables shipped as package data: name pools, spelling variants, postcode sectors.

Why data files and not Python literals: the lists are long, reviewed by people who know the
area (a social worker spots a wrong Teesside postcode or an implausible name mix faster than a
programmer), and they change without touching code. They are read once per process.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from mash.generate.sampling import Weighted

NameKind = str  # "girl" | "boy" | "woman" | "man" | "surname"


@dataclass(frozen=True, slots=True)
class NamePools:
    """Weighted name pools by (group, kind), e.g. ``("south_asian", "boy")``."""

    pools: dict[tuple[str, str], Weighted[str]]
    groups: tuple[str, ...]

    def pool(self, group: str, kind: NameKind) -> Weighted[str]:
        return self.pools[(group, kind)]


@dataclass(frozen=True, slots=True)
class Sector:
    """One postcode sector (``TS18 4``) and the district's share of households."""

    district: str
    digit: str
    area: str


def _data_lines(name: str) -> list[list[str]]:
    text = resources.files("mash.generate").joinpath("data", name).read_text(encoding="utf-8")
    return [
        line.split("\t") for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]


@lru_cache(maxsize=1)
def name_pools() -> NamePools:
    """Every (group, kind) pool of ``names.tsv``."""
    rows: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    groups: list[str] = []
    for group, kind, name, weight in _data_lines("names.tsv"):
        rows[(group, kind)].append((name, float(weight)))
        if group not in groups:
            groups.append(group)
    return NamePools(
        pools={key: Weighted.of(items) for key, items in rows.items()},
        groups=tuple(groups),
    )


def ascii_fold(name: str) -> str:
    """The name as a system without accents stores it (``Wójcik`` -> ``Wojcik``, ``Łukasz``
    -> ``Lukasz``): a real and frequent cause of cross-agency mismatches."""
    folded = name.replace("Ł", "L").replace("ł", "l")
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=1)
def spelling_variants() -> dict[str, tuple[str, ...]]:
    """For each name with known variants, the other spellings (groups may overlap: Louis is a
    variant of both Lewis and Louie). ASCII folds of accented names are added here."""
    alternatives: dict[str, set[str]] = defaultdict(set)
    for group in _data_lines("variants.tsv"):
        spellings = [s.strip() for s in group if s.strip()]
        for name in spellings:
            alternatives[name].update(s for s in spellings if s != name)
    for (_, _), pool in name_pools().pools.items():
        for name in pool.items:
            folded = ascii_fold(name)
            if folded != name:
                alternatives[name].add(folded)
    return {name: tuple(sorted(alts)) for name, alts in alternatives.items()}


@lru_cache(maxsize=1)
def postcode_sectors() -> Weighted[Sector]:
    """Sectors weighted so each district gets its share, split evenly over its sectors."""
    items: list[tuple[Sector, float]] = []
    for district, digits, weight, area in _data_lines("postcodes.tsv"):
        for digit in digits:
            items.append((Sector(district, digit, area), float(weight) / len(digits)))
    return Weighted.of(items)


STOCKTON_DISTRICTS = frozenset(
    {"TS15", "TS16", "TS17", "TS18", "TS19", "TS20", "TS21", "TS22", "TS23"}
)
"""Districts of Stockton-on-Tees borough (TS21 only in part): the rest is cross-border."""
