"""Reading a worker's partition assignments from its log: only the assignment tables count."""

from __future__ import annotations

from mash.chaos.processes import assignments

EMPTY_THEN_SUBSCRIBED = """\
[INFO] Setting newly assigned partitions
+Topic Partition Set------+
+-------------------------+ for group p.mash-worker.app
[INFO] Updating subscribed topics to:
| p.mash.referrals.council |
| p.mash.referrals.police  |
"""

ASSIGNED = """\
[INFO] Setting newly assigned partitions
+Topic Partition Set---------+------------+
| p.mash.referrals.police    | 0-1        |
+----------------------------+------------+ for group p.mash-worker
"""


def test_a_subscription_after_an_empty_assignment_is_not_an_assignment() -> None:
    """The scale-out test once stopped a worker that had only subscribed: the topics named
    in the subscription lines after an assignment were read as assigned."""
    assert not any(".mash.referrals." in table for table in assignments(EMPTY_THEN_SUBSCRIBED))


def test_an_assignment_table_names_its_partitions() -> None:
    tables = assignments(EMPTY_THEN_SUBSCRIBED + ASSIGNED)
    assert len(tables) == 2 and ".mash.referrals.police" in tables[1]


def test_an_assignment_still_being_written_is_not_counted() -> None:
    assert assignments(ASSIGNED.split(" for group ")[0]) == []
