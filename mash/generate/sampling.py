"""Small, fast sampling helpers over an explicit ``random.Random``.

Why not ``random.choices``: it rebuilds its cumulative weights on every call unless given
``cum_weights``, and returns a list; a million referrals make tens of millions of draws, so a
pre-built table and one ``bisect`` per draw is the difference between seconds and minutes.
Every helper takes the generator's own ``Random`` (never the global one), so a seed reproduces
a data set byte for byte.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import accumulate
from random import Random
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Weighted(Generic[T]):
    """A categorical distribution: ``items`` with cumulative weights ``cumulative``."""

    items: tuple[T, ...]
    cumulative: tuple[float, ...]
    total: float

    @classmethod
    def of(cls, pairs: Iterable[tuple[T, float]]) -> Weighted[T]:
        """Build from (item, weight) pairs; weights are relative and need not sum to 1."""
        pairs = [(item, weight) for item, weight in pairs if weight > 0]
        if not pairs:
            raise ValueError("a weighted choice needs at least one item with positive weight")
        items, weights = zip(*pairs, strict=True)
        cumulative = tuple(accumulate(weights))
        return cls(items=tuple(items), cumulative=cumulative, total=cumulative[-1])

    @classmethod
    def from_mapping(cls, weights: Mapping[T, float]) -> Weighted[T]:
        return cls.of(weights.items())

    def pick(self, rng: Random) -> T:
        """One item, with probability proportional to its weight."""
        return self.items[bisect_right(self.cumulative, rng.random() * self.total)]

    def share(self, item: T) -> float:
        """The probability of ``item`` (0 if absent): what tests compare observed mixes with."""
        total = 0.0
        previous = 0.0
        for candidate, cumulative in zip(self.items, self.cumulative, strict=True):
            if candidate == item:
                total += cumulative - previous
            previous = cumulative
        return total / self.total


def chance(rng: Random, probability: float) -> bool:
    """True with the given probability."""
    return rng.random() < probability


def small_count(rng: Random, mean: float, cap: int) -> int:
    """A count with a long right tail (geometric, mean ``mean``), capped: how many incidents,
    attendances or referrals a family has had, where most have none or one and a few many."""
    if mean <= 0:
        return 0
    stop = 1.0 / (1.0 + mean)
    count = 0
    while count < cap and rng.random() >= stop:
        count += 1
    return count
