"""Identity resolution: is this child the person in that agency's record?

The answer is a confidence, never a silent merge:

- **EXACT** (score 1.0): a valid NHS number (or UPN) is equal on both sides, and the dates of
  birth do not contradict it. The NHS number is the consistent identifier across agencies.
- **PROBABLE**: no identifier in common, but the same date of birth, the same full postcode,
  and a strong name match on *both* forenames and surname (thresholds below).
- **POSSIBLE**: weaker evidence a person should look at: same date of birth and strong names
  but a different, partial or missing postcode; a surname change at the same address; names
  swapped between fields; an identifier that matches while the date of birth disagrees; two
  different valid NHS numbers on an otherwise strong match; or two records matching equally
  well. The router flags these IDENTITY_UNCERTAIN, and their records may only raise a level.
- **NONE**: anything else.

Thresholds (ratios in [0, 1], from ``rapidfuzz`` on the matching form of names):

- forenames are strong at ``FORENAME_STRONG`` = 0.88, or when the first forenames share a
  nickname/transliteration group of ``name_variants.txt`` (Kate/Catherine, Mohammed/Muhammad).
  Deliberately strict: twins share date of birth, postcode and surname, and their forenames are
  often alike (Oliver/Olivia scores 0.67), so the forename is what keeps them apart;
- surnames are strong at ``SURNAME_STRONG`` = 0.80: one wrong letter in a six-letter surname
  (Harper/Harpur 0.83, Smith/Smyth 0.80) still matches, a different surname does not; the
  token-set ratio lets a double-barrelled surname match either half.

The score orders candidates and is reported with the decision: 0.45 x forenames + 0.35 x
surname + 0.20 x place (same postcode 1, same district 0.6, unknown 0.3, different 0).
A date of birth must be equal for any name-based match: blocking is on it, and a child's age
drives thresholds, so a record with another birthday is another child.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Final, NamedTuple

from rapidfuzz import fuzz

from mash.domain.decision import Match
from mash.domain.normalise import (
    is_valid_nhs_number,
    is_valid_upn,
    name_key,
    postcode_outward,
)
from mash.domain.records import PersonRecord
from mash.domain.referral import Child

FORENAME_STRONG: Final = 0.88
SURNAME_STRONG: Final = 0.80
VARIANT_SIMILARITY: Final = 0.95
_W_FORE, _W_SUR, _W_PLACE = 0.45, 0.35, 0.20
_PLACE_SCORE: Final[Mapping[str, float]] = {
    "same": 1.0,
    "near": 0.6,
    "unknown": 0.3,
    "different": 0.0,
}
MATCH_RANK: Final[Mapping[str, int]] = {"EXACT": 3, "PROBABLE": 2, "POSSIBLE": 1, "NONE": 0}
"""How strong each identity match is: the order in which candidates, and checks, are ranked."""


class IdentityMatch(NamedTuple):
    """How well one record matches a child, and why (the reason names no personal data).

    A named tuple rather than a dataclass: one is built per candidate per check, and tuples
    are the cheapest immutable value Python has."""

    match: Match
    score: float
    record: PersonRecord | None
    reason: str


NO_MATCH: Final = IdentityMatch("NONE", 0.0, None, "no record matches")


class Profile(NamedTuple):
    """A child's identifying fields in matching form, computed once per child (records are
    compared field by field from caches, see :func:`compare`)."""

    nhs: str | None
    upn: str | None
    dob: date | None
    postcode: str | None
    outward: str | None
    forenames: str
    surname: str

    @property
    def searchable(self) -> bool:
        """Whether any record could be found at all: an identifier, or a date of birth to
        block on. An unborn baby with no NHS number is not searchable."""
        return bool(self.nhs or self.upn or self.dob)


def child_profile(child: Child) -> Profile:
    """The matching form of a referred child (invalid identifiers are left out)."""
    return Profile(
        nhs=child.nhs_number if is_valid_nhs_number(child.nhs_number) else None,
        upn=child.upn if is_valid_upn(child.upn) else None,
        dob=child.dob,
        postcode=child.postcode,
        outward=postcode_outward(child.postcode),
        forenames=name_key(child.forenames),
        surname=name_key(child.surname),
    )


# --------------------------------------------------------------------------- name variants


def _load_variants() -> dict[str, frozenset[int]]:
    text = resources.files("mash.domain").joinpath("name_variants.txt").read_text("utf-8")
    groups: dict[str, set[int]] = {}
    for number, line in enumerate(text.splitlines()):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        for name in line.split():
            groups.setdefault(name_key(name), set()).add(number)
    return {name: frozenset(ids) for name, ids in groups.items()}


_VARIANTS: Final[dict[str, frozenset[int]]] = _load_variants()


def are_variants(first: str, other: str) -> bool:
    """Whether two forenames (matching form) are recorded variants of one name."""
    mine = _VARIANTS.get(first)
    return mine is not None and not mine.isdisjoint(_VARIANTS.get(other, ()))


# --------------------------------------------------------------------------- similarity


@lru_cache(maxsize=65_536)
def forename_similarity(mine: str, theirs: str) -> float:
    """Similarity of two forename fields in [0, 1] (matching form).

    Equal first forenames or recorded variants count as (almost) equal; otherwise the better
    of the first-forename ratio and the token-set ratio over all forenames, so a middle name
    present on one side only does not hurt.
    """
    if not mine or not theirs:
        return 0.0
    first = mine.partition(" ")[0]
    their_first = theirs.partition(" ")[0]
    if first == their_first:
        return 1.0
    if are_variants(first, their_first):
        return VARIANT_SIMILARITY
    return max(fuzz.ratio(first, their_first), fuzz.token_set_ratio(mine, theirs)) / 100.0


@lru_cache(maxsize=65_536)
def surname_similarity(mine: str, theirs: str) -> float:
    """Token-set ratio of two surnames in [0, 1]: order-free, so ``Smith Jones`` matches
    ``Jones`` and ``Jones Smith``."""
    if not mine or not theirs:
        return 0.0
    if mine == theirs:
        return 1.0
    return fuzz.token_set_ratio(mine, theirs) / 100.0


def _place(child: Profile, postcode: str | None) -> str:
    if not child.postcode or not postcode:
        return "unknown"
    if child.postcode == postcode:
        return "same"
    return "near" if child.outward == postcode_outward(postcode) else "different"


def _score(fore: float, sur: float, place: str) -> float:
    return round(_W_FORE * fore + _W_SUR * sur + _W_PLACE * _PLACE_SCORE[place], 4)


def _identifier_verdict(child: Profile, record: PersonRecord) -> str | None:
    """``same`` when a valid identifier is shared, ``conflict`` when both sides carry a valid
    NHS number (or UPN) and they differ, else ``None``. Reads the record's raw fields, so an
    exact match never pays for name normalisation."""
    for ours, theirs, valid in (
        (child.nhs, record.nhs_number, is_valid_nhs_number),
        (child.upn, record.upn, is_valid_upn),
    ):
        if ours and theirs:
            if theirs == ours:
                return "same"
            if valid(theirs):
                return "conflict"
    return None


def compare(child: Profile, record: PersonRecord) -> IdentityMatch:
    """How well one record matches a child (see the module docstring for the levels)."""
    ids = _identifier_verdict(child, record)
    dob_conflict = child.dob is not None and record.dob is not None and child.dob != record.dob
    if ids == "same" and not dob_conflict:
        which = "NHS number" if child.nhs and child.nhs == record.nhs_number else "UPN"
        return IdentityMatch("EXACT", 1.0, record, f"{which} matches")
    if ids != "same" and (child.dob is None or dob_conflict):
        why = "date of birth differs" if dob_conflict else "no date of birth to compare"
        return IdentityMatch("NONE", 0.0, record, why)
    # Only the fields the comparison needs, from caches: no full profile of the record.
    their_fore = name_key(record.forenames)
    their_sur = name_key(record.surname)
    fore = forename_similarity(child.forenames, their_fore)
    sur = surname_similarity(child.surname, their_sur)
    place = _place(child, record.postcode)
    if ids == "same":
        return IdentityMatch(
            "POSSIBLE",
            _score(fore, sur, place),
            record,
            "identifier matches but the date of birth differs",
        )
    return _by_name(child, (their_fore, their_sur), record, ids == "conflict", fore, sur, place)


def _by_name(
    child: Profile,
    theirs: tuple[str, str],
    record: PersonRecord,
    conflict: bool,
    fore: float,
    sur: float,
    place: str,
) -> IdentityMatch:
    score = _score(fore, sur, place)
    strong_names = fore >= FORENAME_STRONG and sur >= SURNAME_STRONG
    if strong_names and place == "same" and not conflict:
        return IdentityMatch("PROBABLE", score, record, "date of birth, postcode and name match")
    if conflict:
        if strong_names and place in ("same", "near"):
            return IdentityMatch(
                "POSSIBLE",
                score,
                record,
                "name, date of birth and address match but the NHS numbers (or UPNs) differ",
            )
        return IdentityMatch("NONE", score, record, "identifiers differ")
    if strong_names:
        return IdentityMatch(
            "POSSIBLE", score, record, f"date of birth and name match; postcode {place}"
        )
    if fore >= FORENAME_STRONG and place == "same":
        return IdentityMatch(
            "POSSIBLE",
            score,
            record,
            "date of birth, forename and postcode match; surname differs",
        )
    their_fore, their_sur = theirs
    swapped_fore = forename_similarity(child.surname, their_fore)
    swapped_sur = surname_similarity(child.forenames, their_sur)
    if swapped_fore >= FORENAME_STRONG and swapped_sur >= SURNAME_STRONG and place != "different":
        return IdentityMatch(
            "POSSIBLE",
            _score(swapped_fore, swapped_sur, place),
            record,
            "date of birth matches with forename and surname swapped",
        )
    return IdentityMatch("NONE", score, record, "names differ")


def resolve(child: Profile, candidates: Sequence[PersonRecord]) -> IdentityMatch:
    """The best-matching candidate for a child, or :data:`NO_MATCH`.

    Ties between records of *different* people at PROBABLE are downgraded to POSSIBLE: two
    people who both look like the child means nobody can be sure which one is. Duplicate
    records sharing the child's NHS number stay EXACT, and the latest-updated one is used.
    """
    if not candidates:
        return NO_MATCH
    if len(candidates) == 1:  # the usual case: no ranking needed
        only = compare(child, candidates[0])
        return only if only.match != "NONE" else NO_MATCH
    ranked = sorted(
        (m for m in (compare(child, record) for record in candidates) if m.match != "NONE"),
        key=lambda m: (MATCH_RANK[m.match], m.score, m.record.updated_at if m.record else 0),
        reverse=True,
    )
    if not ranked:
        return NO_MATCH
    best = ranked[0]
    if best.match == "PROBABLE" and len(ranked) > 1 and ranked[1].match == "PROBABLE":
        return IdentityMatch(
            "POSSIBLE", best.score, best.record, "more than one record matches equally well"
        )
    return best


# --------------------------------------------------------------------------- child key


def child_key(child: Child, profile: Profile | None = None) -> str:
    """A stable key for the child across referrals, from the referral's own fields only.

    ``nhs:<number>`` for a valid NHS number, else ``upn:<upn>`` for a well-formed UPN, else
    ``h:`` and the first 20 hex digits of a SHA-256 over the matching-form name, date of birth
    (or expected delivery date) and postcode. It never depends on which records were loaded, so
    a replay gives the same key. The hash is not salted (two processes must agree without a
    shared secret), so it is a pseudonym, not anonymisation: treat it as personal data.
    """
    if profile is None:
        profile = child_profile(child)
    if profile.nhs:
        return f"nhs:{profile.nhs}"
    if profile.upn:
        return f"upn:{profile.upn}"
    when = (
        child.dob.isoformat()
        if child.dob
        else f"edd:{child.expected_delivery_date.isoformat()}"
        if child.expected_delivery_date
        else ""
    )
    material = "|".join((profile.forenames, profile.surname, when, child.postcode or ""))
    return "h:" + hashlib.sha256(material.encode("utf-8")).hexdigest()[:20]
