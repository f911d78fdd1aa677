"""How scenarios report progress without knowing about the terminal: a two-method protocol
that the command backs with a rich progress bar."""

from __future__ import annotations

from typing import Protocol


class Tracker(Protocol):
    """Progress of the running step (counts only: nothing here may carry personal data)."""

    def stage(self, label: str, total: int | None = None) -> None:
        """A new step begins; ``total`` units are expected (``None``: unknown)."""
        ...

    def advance(self, units: int = 1) -> None:
        """``units`` more are done."""
        ...
