"""Management oversight: which staff decisions take effect only when a team manager approves.

Why in the domain: the hub's state machine (what an item does next) and the decision log (what
an entry means) must agree on it, and neither should own the rule. A worker's decision that
lowers the protection a child gets is a manager's call, as threshold guidance has it for step
down and for no further action, so it waits as a *request* until a manager approves it:

- an override to a lower route than the router proposed;
- a confirmation of a route the rules stepped down from what the referrer asked for
  (the decision carries ``STEP_DOWN:<asked route>``);
- a close without a transfer: no further action, or any close of an s47 or assessment child
  (a close is never the way to step such a child down unseen).

Raising a route never waits: unknown is never reassurance, and a higher level is always safe to
act on at once. Pure: routes, flags and close reasons in, the reason for approval (or None) out.
"""

from __future__ import annotations

from enum import StrEnum

from mash.domain.codes import FLAG_STEP_DOWN
from mash.domain.routes import Route


class CloseReason(StrEnum):
    """Why a child leaves the front door without a transfer to a team."""

    NO_FURTHER_ACTION = "NO_FURTHER_ACTION"
    ADVICE_GIVEN = "ADVICE_GIVEN"
    SIGNPOSTED = "SIGNPOSTED"
    DUPLICATE = "DUPLICATE"

    @property
    def label(self) -> str:
        return _CLOSE_LABELS[self]


_CLOSE_LABELS = {
    CloseReason.NO_FURTHER_ACTION: "no further action",
    CloseReason.ADVICE_GIVEN: "information and advice given to the referrer",
    CloseReason.SIGNPOSTED: "signposted to universal or community services",
    CloseReason.DUPLICATE: "a duplicate of a contact already in the hub",
}


class Destination(StrEnum):
    """Where a child is handed on to from the front door, and the route each one serves.

    ``OTHER_LOCAL_AUTHORITY`` serves any route: a child who lives elsewhere goes to their own
    council's front door whatever the level (the detail names the authority).
    """

    CHILD_PROTECTION = "CHILD_PROTECTION"
    ASSESSMENT_TEAM = "ASSESSMENT_TEAM"
    EARLY_HELP_HUB = "EARLY_HELP_HUB"
    UNIVERSAL_SERVICES = "UNIVERSAL_SERVICES"
    OTHER_LOCAL_AUTHORITY = "OTHER_LOCAL_AUTHORITY"

    @property
    def route(self) -> Route | None:
        """The route this destination takes; None for one that takes every route."""
        return _DESTINATION_ROUTES.get(self)

    @property
    def label(self) -> str:
        return _DESTINATION_LABELS[self]

    @classmethod
    def for_route(cls, route: str) -> Destination:
        """The usual destination of a route (an unknown route goes to child protection)."""
        known = Route.parse(route) or Route.S47
        return next(d for d, r in _DESTINATION_ROUTES.items() if r is known)


_DESTINATION_ROUTES = {
    Destination.CHILD_PROTECTION: Route.S47,
    Destination.ASSESSMENT_TEAM: Route.ASSESSMENT,
    Destination.EARLY_HELP_HUB: Route.CAF,
    Destination.UNIVERSAL_SERVICES: Route.UNIVERSAL,
}
_DESTINATION_LABELS = {
    Destination.CHILD_PROTECTION: "child protection team (s47)",
    Destination.ASSESSMENT_TEAM: "assessment team (single assessment)",
    Destination.EARLY_HELP_HUB: "early help hub",
    Destination.UNIVERSAL_SERVICES: "universal services, with signposting",
    Destination.OTHER_LOCAL_AUTHORITY: "another local authority (the child lives there)",
}


def _rank(route: str | None) -> int:
    """A route's rank; unknown counts as s47, so nothing unknown looks like a step down."""
    known = Route.parse(route)
    return known.rank if known is not None else Route.S47.rank


def stepped_down_from(flags: tuple[str, ...] | list[str]) -> str | None:
    """The route the referrer asked for when the rules stepped the child down, else None."""
    for flag in flags:
        name, _, asked = str(flag).partition(":")
        if name == FLAG_STEP_DOWN:
            return asked or Route.S47.value
    return None


def approval_for_route(
    proposed: str, chosen: str, flags: tuple[str, ...] | list[str]
) -> str | None:
    """Why a decision to put the child on ``chosen`` needs a manager, or None if it does not.

    ``proposed`` is the router's route. A route at or above the referrer's asked route never
    waits; one below the proposal, or a confirmation of a stepped-down proposal, does.
    """
    asked = stepped_down_from(flags)
    if _rank(chosen) < _rank(proposed):
        return f"a step down from {proposed} to {chosen} needs a team manager's approval"
    if asked is not None and _rank(chosen) < _rank(asked):
        return (
            f"the referrer asked for {asked}; keeping the child on {chosen} "
            "needs a team manager's approval"
        )
    return None


def approval_for_close(route: str, reason: CloseReason) -> str | None:
    """Why closing a child on ``route`` for ``reason`` needs a manager, or None."""
    if reason is CloseReason.NO_FURTHER_ACTION:
        return "no further action needs a team manager's approval"
    if _rank(route) >= Route.ASSESSMENT.rank:
        return f"closing a child on {route} without a transfer needs a team manager's approval"
    return None
