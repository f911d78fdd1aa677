"""The four routes (queues) a child can be sent to, defined once with all the hub says about each.

Why one definition: the routes are a term of the design contract, and every part of the hub
needs something of them (the rule engine how intensive each is, the clocks how long each may
wait, the board and the decision log how to name them to staff). Spelt out in each module, the
lists drift apart; here a route carries its rank, its names and its clock, and everything else
asks it.

Why a ``StrEnum``: a route is the plain text ``"s47"``, ``"assessment"``, ``"caf"`` or
``"universal"`` in every message, file and table (JSON, Avro, the decision log, CEL facts).
Members compare equal to, hash like and format as that text, so they go wherever a route string
went and the bytes written do not change; ``Route("caf")`` turns text read back into a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class Route(StrEnum):
    """A routed queue, from the most to the least intensive.

    ``rank``: how intensive (universal 0 ... s47 3); a move to a lower rank is a downgrade.
    ``label``: the queue's name on the board and in ``mash queue``. ``description``: what the
    route means, for the plain-English account of a decision. ``working_days``: its statutory
    clock (:mod:`mash.domain.clocks`), working days after the start day until the deadline.
    """

    S47 = "s47"
    ASSESSMENT = "assessment"
    CAF = "caf"
    UNIVERSAL = "universal"

    @property
    def rank(self) -> int:
        return _TERMS[self].rank

    @property
    def label(self) -> str:
        return _TERMS[self].label

    @property
    def description(self) -> str:
        return _TERMS[self].description

    @property
    def working_days(self) -> int:
        return _TERMS[self].working_days

    @classmethod
    def ordered(cls) -> tuple[Route, ...]:
        """Every route, most to least intensive: the order of queues, tables and messages."""
        return _ORDERED

    @classmethod
    def parse(cls, value: object) -> Route | None:
        """The route ``value`` names, or ``None`` for anything else (any type: a route read
        from a file or a message may be missing or malformed)."""
        return _BY_TEXT.get(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class _Terms:
    rank: int
    label: str
    description: str
    working_days: int


_TERMS: Final[dict[Route, _Terms]] = {
    Route.S47: _Terms(
        3,
        "s47 strategy discussion (same day)",
        "child protection, a strategy discussion the same working day under section 47",
        0,
    ),
    Route.ASSESSMENT: _Terms(
        2,
        "Statutory assessment",
        "a statutory single assessment of a child in need under section 17",
        1,
    ),
    Route.CAF: _Terms(
        1,
        "Early help (CAF)",
        "early help, family support through the Common Assessment Framework",
        1,
    ),
    Route.UNIVERSAL: _Terms(
        0,
        "Universal services",
        "universal services, no statutory service needed, logged and signposted",
        1,
    ),
}
_ORDERED: Final = tuple(sorted(Route, key=lambda route: -_TERMS[route].rank))
_BY_TEXT: Final[dict[str, Route]] = {route.value: route for route in Route}
