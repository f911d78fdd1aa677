"""NHS numbers and UPNs: valid check characters, test range only, never reused."""

from __future__ import annotations

import json
from random import Random

from datafiles import VIGNETTES

from mash.generate.identifiers import (
    NhsNumbers,
    Sequence,
    is_test_nhs_number,
    is_valid_nhs_number,
    is_valid_upn,
    make_upn,
    nhs_check_digit,
)


def test_check_digit_of_the_nhs_published_example() -> None:
    # 943 476 5919 is the example NHS England uses in its own documentation.
    assert nhs_check_digit("943476591") == 9
    assert is_valid_nhs_number("9434765919")
    assert not is_valid_nhs_number("9434765918")


def test_bodies_whose_remainder_gives_ten_have_no_check_digit() -> None:
    invalid = [f"999{n:06d}" for n in range(2000) if nhs_check_digit(f"999{n:06d}") is None]
    assert invalid, "about one body in eleven has no valid check digit"
    assert all(not is_valid_nhs_number(body + str(d)) for body in invalid[:20] for d in range(10))


def test_malformed_numbers_are_invalid() -> None:
    assert not is_valid_nhs_number("999000100")
    assert not is_valid_nhs_number("99900010061")
    assert not is_valid_nhs_number("999000100X")


def test_validator_agrees_with_the_vignettes_hand_made_numbers() -> None:
    numbers = []
    for line in (VIGNETTES / "health.jsonl").read_text().splitlines():
        number = json.loads(line)["patient"]["nhsNumber"]
        if number:
            numbers.append(number)
    assert numbers
    assert all(is_test_nhs_number(n) for n in numbers)


def test_pool_issues_every_test_number_once_then_none() -> None:
    pool = NhsNumbers(Random(5))
    issued = []
    while (number := pool.next()) is not None:
        issued.append(number)
    assert pool.exhausted
    assert len(issued) == len(set(issued)) == pool.issued
    assert len(issued) > 850_000
    assert all(n.startswith("999") for n in issued)
    assert all(is_valid_nhs_number(n) for n in issued[::997])
    # the block the hand-written fixtures use is never handed out
    assert not any(n.startswith("9990000") for n in issued)
    assert pool.next() is None


def test_pool_order_depends_on_the_seed() -> None:
    assert NhsNumbers(Random(1)).next() == NhsNumbers(Random(1)).next()
    assert NhsNumbers(Random(1)).next() != NhsNumbers(Random(2)).next()


def test_upn_has_the_dfe_check_letter_and_stocktons_la_code() -> None:
    upns = [make_upn(serial, 2015) for serial in range(1, 3000, 7)]
    assert all(is_valid_upn(u) and u[1:4] == "808" for u in upns)
    assert len(set(upns)) == len(upns)


def test_upn_check_letter_catches_any_single_digit_error() -> None:
    upn = make_upn(123_456, 2019)
    for position in range(1, 13):
        for digit in "0123456789":
            if digit != upn[position]:
                mutated = upn[:position] + digit + upn[position + 1 :]
                assert not is_valid_upn(mutated)


def test_sequences_are_unique_and_prefixed() -> None:
    sequence = Sequence("PPN-", Random(3))
    refs = [sequence.next() for _ in range(1000)]
    assert len(set(refs)) == 1000
    assert all(r.startswith("PPN-") and len(r) == 12 for r in refs)
