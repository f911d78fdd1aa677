"""How each agency's system records a person: the same child, spelt and known differently.

Real cross-agency data disagree in small, patterned ways, and identity matching lives or dies
by them: spelling variants (Mohammed/Muhammad, Jayden/Jaydon), middle names kept or dropped,
double-barrelled surnames cut to one part, surnames in capitals (police systems), accents
folded to ASCII, a typo, day and month of birth swapped, the old postcode after a move, no NHS
number (councils and police rarely hold it), a postcode keyed without its space or in lower
case (free-text address fields). Each agency has a :class:`Style` with its own
rates; :func:`render` draws one rendering of a person in that style.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from random import Random

from mash.generate.population import Household, Person
from mash.generate.reference import ascii_fold, spelling_variants

_VARIANTS = spelling_variants()


@dataclass(frozen=True, slots=True)
class Style:
    """Probabilities of each recording habit in one agency's system."""

    nhs: float
    middle: float
    variant: float
    typo: float
    upper_surname: float
    stale_postcode: float
    missing_postcode: float
    dob_error: float
    fold: float
    split_surname: float = 0.35
    postcode_slip: float = 0.0


STYLES: dict[str, Style] = {
    "police": Style(
        nhs=0.35,
        middle=0.2,
        variant=0.10,
        typo=0.02,
        upper_surname=0.08,
        stale_postcode=0.3,
        missing_postcode=0.04,
        dob_error=0.01,
        fold=0.6,
        postcode_slip=0.02,
    ),
    "health": Style(
        nhs=0.97,
        middle=0.5,
        variant=0.04,
        typo=0.01,
        upper_surname=0.0,
        stale_postcode=0.4,
        missing_postcode=0.02,
        dob_error=0.003,
        fold=0.2,
    ),
    "council": Style(
        nhs=0.12,
        middle=0.3,
        variant=0.07,
        typo=0.015,
        upper_surname=0.0,
        stale_postcode=0.25,
        missing_postcode=0.02,
        dob_error=0.008,
        fold=0.4,
        postcode_slip=0.03,
    ),
    "records.social-care": Style(
        nhs=0.8,
        middle=0.6,
        variant=0.05,
        typo=0.01,
        upper_surname=0.0,
        stale_postcode=0.35,
        missing_postcode=0.05,
        dob_error=0.005,
        fold=0.3,
    ),
    "records.early-help": Style(
        nhs=0.5,
        middle=0.4,
        variant=0.06,
        typo=0.015,
        upper_surname=0.0,
        stale_postcode=0.3,
        missing_postcode=0.05,
        dob_error=0.008,
        fold=0.4,
        postcode_slip=0.02,
    ),
    "records.police": Style(
        nhs=0.25,
        middle=0.2,
        variant=0.10,
        typo=0.02,
        upper_surname=0.15,
        stale_postcode=0.3,
        missing_postcode=0.05,
        dob_error=0.01,
        fold=0.6,
    ),
    "records.health": Style(
        nhs=1.0,
        middle=0.6,
        variant=0.03,
        typo=0.005,
        upper_surname=0.0,
        stale_postcode=0.3,
        missing_postcode=0.01,
        dob_error=0.002,
        fold=0.1,
    ),
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """One agency's view of a person's identity."""

    forenames: str
    surname: str
    dob: date | None
    nhs: str | None
    postcode: str | None


def _typo(rng: Random, name: str) -> str:
    """One keying slip: two letters swapped, a letter dropped or doubled."""
    if len(name) < 4:
        return name
    i = 1 + int(rng.random() * (len(name) - 2))
    kind = rng.random()
    if kind < 0.4:
        return name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    if kind < 0.7:
        return name[:i] + name[i + 1 :]
    return name[:i] + name[i] + name[i:]


def _variant(rng: Random, name: str, style: Style) -> str:
    """Maybe another spelling of the name, else maybe a typo; maybe accents folded."""
    alternatives = _VARIANTS.get(name)
    if alternatives is not None and rng.random() < style.variant:
        name = alternatives[int(rng.random() * len(alternatives))]
    elif rng.random() < style.typo:
        name = _typo(rng, name)
    if not name.isascii() and rng.random() < style.fold:
        name = ascii_fold(name)
    return name


def _surname(rng: Random, surname: str, style: Style) -> str:
    if "-" in surname and not surname.startswith("Al-") and rng.random() < style.split_surname:
        first, _, second = surname.partition("-")
        roll = rng.random()
        surname = first if roll < 0.4 else second if roll < 0.8 else f"{first} {second}"
    else:
        surname = _variant(rng, surname, style)
    if style.upper_surname and rng.random() < style.upper_surname:
        surname = surname.upper()
    return surname


def _dob(rng: Random, dob: date | None, style: Style) -> date | None:
    if dob is None or rng.random() >= style.dob_error:
        return dob
    if dob.day <= 12 and dob.day != dob.month:
        return dob.replace(month=dob.day, day=dob.month)
    return dob + timedelta(days=1 if rng.random() < 0.5 else -1)


def _postcode(rng: Random, household: Household, style: Style) -> str | None:
    if rng.random() < style.missing_postcode:
        return None
    postcode = household.postcode
    if household.previous_postcode and rng.random() < style.stale_postcode:
        postcode = household.previous_postcode
    if style.postcode_slip and rng.random() < style.postcode_slip:
        return postcode.replace(" ", "") if rng.random() < 0.6 else postcode.lower()
    return postcode


def render(rng: Random, style: Style, person: Person, household: Household) -> Rendered:
    """The person as an agency in ``style`` has them on file."""
    forenames = _variant(rng, person.forename, style)
    if person.middle and rng.random() < style.middle:
        forenames = f"{forenames} {person.middle}"
    return Rendered(
        forenames=forenames,
        surname=_surname(rng, person.surname, style),
        dob=_dob(rng, person.dob, style),
        nhs=person.nhs if person.nhs and rng.random() < style.nhs else None,
        postcode=_postcode(rng, household, style),
    )
