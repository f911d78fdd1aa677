"""Identifiers that look and check like real ones but can never be real.

* NHS numbers come only from the 999 range, which NHS England never issues (it is kept for
  testing), and carry a valid modulus-11 check digit, so validators accept them and identity
  matching treats them as strong identifiers.
* UPNs (unique pupil numbers) carry the DfE check letter and Stockton-on-Tees' LA code (808).
* Agency references (ppn_id, referralId, request_ref, person ids) are per-agency sequences.
"""

from __future__ import annotations

from random import Random

NHS_WEIGHTS = (10, 9, 8, 7, 6, 5, 4, 3, 2)
NHS_TEST_PREFIX = 999
_NHS_BODIES = 1_000_000  # the six free digits after 999
_NHS_RESERVED = 10_000  # 999 000 0xxx: left for hand-written fixtures (the vignettes use it)
_NHS_STRIDE = 7_919  # prime, coprime to 10**6: walks every body once, in a scattered order

UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"
STOCKTON_LA_CODE = 808


def nhs_check_digit(first_nine: str) -> int | None:
    """The modulus-11 check digit of an NHS number's first nine digits, or None when the
    remainder gives 10 (such bodies are never issued)."""
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, NHS_WEIGHTS, strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    return None if check == 10 else check


def is_valid_nhs_number(value: str) -> bool:
    """Ten digits whose last is the modulus-11 check digit of the first nine."""
    if len(value) != 10 or not value.isdigit():
        return False
    return nhs_check_digit(value[:9]) == int(value[9])


def is_test_nhs_number(value: str) -> bool:
    """A valid NHS number in the never-issued 999 test range."""
    return value.startswith(str(NHS_TEST_PREFIX)) and is_valid_nhs_number(value)


def _partial_sums(weights: tuple[int, int, int]) -> tuple[int, ...]:
    """Weighted digit sums of every three-digit block, so a check digit costs two lookups."""
    a, b, c = weights
    return tuple(a * (i // 100) + b * (i // 10 % 10) + c * (i % 10) for i in range(1000))


_PREFIX_SUM = 9 * 10 + 9 * 9 + 9 * 8  # the 999 prefix under weights 10, 9, 8
_HIGH_SUMS = _partial_sums((7, 6, 5))
_LOW_SUMS = _partial_sums((4, 3, 2))


def _test_range_check_digit(body: int) -> int | None:
    """:func:`nhs_check_digit` of ``999`` + six digits ``body``, by table look-up (the
    generator needs one per child; a million referrals make about three million)."""
    check = 11 - (_PREFIX_SUM + _HIGH_SUMS[body // 1000] + _LOW_SUMS[body % 1000]) % 11
    if check == 11:
        return 0
    return None if check == 10 else check


class NhsNumbers:
    """Hands out distinct test-range NHS numbers in a seed-dependent, scattered order.

    The 999 range holds about 900,000 valid numbers. When they run out, :meth:`next` returns
    None (the person simply has no NHS number, as about a tenth of referred children do anyway)
    rather than reuse a number: two children sharing one would be a wrong identity, the one
    error a safeguarding data set must not contain. ``exhausted`` tells the caller.
    """

    __slots__ = ("_offset", "_step", "exhausted", "issued")

    def __init__(self, rng: Random) -> None:
        self._offset = rng.randrange(_NHS_BODIES)
        self._step = 0
        self.exhausted = False
        self.issued = 0

    def next(self) -> str | None:
        while self._step < _NHS_BODIES:
            body = (self._offset + self._step * _NHS_STRIDE) % _NHS_BODIES
            self._step += 1
            if body < _NHS_RESERVED:
                continue
            check = _test_range_check_digit(body)
            if check is not None:
                self.issued += 1
                return f"{NHS_TEST_PREFIX}{body:06d}{check}"
        self.exhausted = True
        return None


def upn_check_letter(last_twelve: str) -> str:
    """DfE UPN check letter: digits 2-13 weighted 2..13, sum mod 23, mapped onto the 23
    letters without I, O and S."""
    total = sum(int(digit) * weight for weight, digit in enumerate(last_twelve, start=2))
    return UPN_LETTERS[total % 23]


def is_valid_upn(value: str) -> bool:
    """13 characters: a check letter that matches the 12 digits after it."""
    return len(value) == 13 and value[1:].isdigit() and value[0] == upn_check_letter(value[1:])


def make_upn(serial: int, entry_year: int) -> str:
    """A UPN for the ``serial``-th pupil: LA 808, an establishment and serial derived from the
    running number (unique for 8 million pupils), and the year the child entered school."""
    establishment = 2000 + (serial // 1000) % 8000
    digits = f"{STOCKTON_LA_CODE:03d}{establishment:04d}{entry_year % 100:02d}{serial % 1000:03d}"
    return upn_check_letter(digits) + digits


class Sequence:
    """Per-agency running references (``PPN-01234567``): unique within a data set, starting
    at a seed-dependent number so two data sets rarely share references."""

    __slots__ = ("_next", "prefix", "width")

    def __init__(self, prefix: str, rng: Random, width: int = 8) -> None:
        self.prefix = prefix
        self.width = width
        self._next = rng.randrange(10 ** (width - 2), 10 ** (width - 1))

    def next(self) -> str:
        value = self._next
        self._next += 1
        return f"{self.prefix}{value:0{self.width}d}"
