"""Normalisation of the identifying fields every agency writes differently.

Two forms exist on purpose. The *display* form (``tidy_name``, ``normalise_postcode``) is what the
canonical referral carries: trimmed, one space, the spelling the agency used, so staff recognise
it. The *matching* form (``name_key``, ``soundex``, ``postcode_outward``) is what identity
resolution compares: accents folded, case and punctuation dropped. Keeping them apart means a
matching tweak never rewrites what an agency said.

Every function here is cheap and pure; the ones called per record lookup are cached because
names, postcodes and dates repeat a great deal across a population.
"""

from __future__ import annotations

import operator
import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# Outward code (area + district) then inward code (sector digit + unit letters).
_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][0-9A-Z]?)([0-9][A-Z]{2})$")
_UPN = re.compile(r"^[A-Z][0-9]{11}[0-9A-Z]$")
_NOT_NAME = re.compile(r"[^a-z ]+")
_NOT_DIGIT = re.compile(r"[^0-9]+")


@lru_cache(maxsize=65_536)
def tidy_name(value: str | None) -> str | None:
    """A name as the agency spelt it, trimmed with single spaces; ``None`` when blank."""
    if value is None:
        return None
    tidy = _SPACES.sub(" ", value).strip()
    return tidy or None


@lru_cache(maxsize=65_536)
def normalise_postcode(value: str | None) -> str | None:
    """UK postcode upper-cased with exactly one space before the inward code.

    Something that does not look like a postcode is kept upper-cased and unspaced, not
    dropped: it still blocks on equality, and the agency's value is not lost.
    """
    if value is None:
        return None
    compact = _SPACES.sub("", value).upper()
    if not compact:
        return None
    parsed = _POSTCODE.match(compact)
    return f"{parsed.group(1)} {parsed.group(2)}" if parsed else compact


@lru_cache(maxsize=65_536)
def postcode_outward(postcode: str | None) -> str | None:
    """The outward code (``TS19`` of ``TS19 0QX``): a whole district, so a family that moved a
    few streets away still blocks together."""
    if not postcode:
        return None
    head, _, tail = postcode.partition(" ")
    if tail:
        return head
    parsed = _POSTCODE.match(postcode)
    return parsed.group(1) if parsed else postcode


def normalise_nhs_number(value: str | int | None) -> str | None:
    """Digits only (agencies write ``999 000 1006`` or ``999-000-1006``); ``None`` when empty.

    Validity is a separate question (:func:`is_valid_nhs_number`): an invalid number is kept
    so staff can see and correct what the agency sent, but it is never used to match.
    """
    if value is None:
        return None
    text = str(value)
    if text.isascii() and text.isdigit():
        return text
    return _NOT_DIGIT.sub("", text) or None


_NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)


@lru_cache(maxsize=16_384)
def is_valid_nhs_number(value: str | None) -> bool:
    """Ten digits whose last is the modulus-11 check digit of the first nine (NHS Digital).

    Weights 10..2 on the first nine digits; check = 11 - (sum mod 11), 11 -> 0, and a check
    of 10 means the number was never issued.
    """
    if value is None or len(value) != 10 or not (value.isascii() and value.isdigit()):
        return False
    total = sum(map(operator.mul, map(int, value[:9]), _NHS_WEIGHTS))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return bool(check != 10 and check == int(value[9]))


def normalise_upn(value: str | None) -> str | None:
    """Unique Pupil Number trimmed and upper-cased; ``None`` when blank."""
    if value is None:
        return None
    compact = _SPACES.sub("", value).upper()
    return compact or None


def is_valid_upn(value: str | None) -> bool:
    """A letter, eleven digits, and a digit or letter (a temporary UPN ends in a letter).

    The leading check letter is not recomputed: schools' systems validate it at source, and a
    wrong check letter on an otherwise well-formed UPN is a typo, not a different child.
    """
    return value is not None and _UPN.match(value) is not None


@lru_cache(maxsize=131_072)
def name_key(value: str | None) -> str:
    """A name's matching form: accents folded, lower case, letters and single spaces only.

    Hyphens become spaces (``Smith-Jones`` has two tokens); apostrophes vanish (``O'Brien`` ->
    ``obrien``), because agencies disagree about both.
    """
    if not value:
        return ""
    folded = unicodedata.normalize("NFKD", value)
    ascii_only = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    ascii_only = ascii_only.replace("'", "").replace("\u2019", "").replace("-", " ")
    return _SPACES.sub(" ", _NOT_NAME.sub(" ", ascii_only)).strip()


_SOUNDEX_CODES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}


@lru_cache(maxsize=131_072)
def soundex(key: str) -> str:
    """American Soundex of a matching-form name (spaces ignored): ``harper`` and ``harpur``
    share ``H616``. Used only to block candidates, never to decide a match."""
    letters = key.replace(" ", "")
    if not letters:
        return ""
    out = [letters[0].upper()]
    last = _SOUNDEX_CODES.get(letters[0], "")
    for ch in letters[1:]:
        code = _SOUNDEX_CODES.get(ch, "")
        if code and code != last:
            out.append(code)
            if len(out) == 4:
                break
        if ch not in "hw":
            last = code
    return "".join(out).ljust(4, "0")
