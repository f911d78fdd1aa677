"""When a dead letter becomes overdue, as configured: ``MASH_DEADLETTER_OVERDUE_DAYS`` working
days (default 1: by the close of the next working day), on the hub's working calendar."""

from __future__ import annotations

from mash.config import int_setting
from mash.deadletters.model import OVERDUE_WORKING_DAYS, OverduePolicy
from mash.domain.clocks import WorkingCalendar

OVERDUE_SETTING = "MASH_DEADLETTER_OVERDUE_DAYS"


def overdue_policy(calendar: WorkingCalendar | None) -> OverduePolicy:
    """The configured policy on ``calendar`` (None: elapsed days, as in tests)."""
    days = int_setting(OVERDUE_SETTING, OVERDUE_WORKING_DAYS, least=1, most=30)
    return OverduePolicy(calendar, days)
