"""The hub's own local authority area, by postcode: which children live elsewhere.

Why: a MASH decides for every child referred to it, but a child who lives in another local
authority's area is that authority's to assess and protect (Working Together to Safeguard
Children 2023: the authority where the child is found acts now; the home authority takes the
case on). Such a child is decided exactly as any other, never dropped and never lowered, and
the decision carries ``OUT_OF_AREA`` so staff involve the home authority the same day.

The area is configuration, not policy (``MASH_HUB_AREA``: postcode prefixes separated by
commas). A prefix is a postcode area (``TS``: every district of it), an outward code
(``TS17``: that district only, never ``TS1`` for ``TS17``) or a sector (``TS17 6``). A child
without a postcode is not flagged: where the child lives is unknown, which the hub's staff see
in the referral itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from mash.domain.normalise import normalise_postcode

_AREA: Final = re.compile(r"^[A-Z]{1,2}$")
_DISTRICT: Final = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]?$")
_SECTOR: Final = re.compile(r"^[A-Z]{1,2}[0-9][0-9A-Z]? [0-9]$")


@dataclass(frozen=True, slots=True)
class HubArea:
    """Postcode prefixes of the hub's area: postcode areas, districts and sectors."""

    areas: frozenset[str] = frozenset()
    districts: frozenset[str] = frozenset()
    sectors: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, text: str) -> HubArea:
        """Prefixes separated by commas; raises :class:`ValueError` naming a bad prefix."""
        areas, districts, sectors = set(), set(), set()
        for raw in text.split(","):
            prefix = " ".join(raw.upper().split())
            if not prefix:
                continue
            if _AREA.match(prefix):
                areas.add(prefix)
            elif _DISTRICT.match(prefix):
                districts.add(prefix)
            elif _SECTOR.match(prefix):
                sectors.add(prefix)
            else:
                raise ValueError(
                    f"{prefix!r} is not a postcode area (TS), district (TS17) or sector (TS17 6)"
                )
        if not (areas or districts or sectors):
            raise ValueError("names no postcode prefix")
        return cls(frozenset(areas), frozenset(districts), frozenset(sectors))

    def covers(self, postcode: str | None) -> bool | None:
        """Whether a postcode is in the area; ``None`` when there is no usable postcode."""
        normal = normalise_postcode(postcode)
        if not normal or " " not in normal:
            return None
        outward, inward = normal.split(" ", 1)
        letters = outward[: 2 if outward[1:2].isalpha() else 1]
        return (
            letters in self.areas
            or outward in self.districts
            or f"{outward} {inward[:1]}" in self.sectors
        )
