"""SQLModel tables of the decision log.

The schema itself is created by the Alembic migrations in ``mash/audit/migrations`` (with the
append-only triggers, which SQLModel cannot express); these classes describe the same tables
for queries, and a test checks that models and migrations agree.

Why both columns and JSON: ``body`` is the decision exactly as sealed (the hash covers it);
the columns are copies for searching (by child, referral, route, rule, date) and for people
reading the tables with SQL tools. ``verify`` re-derives every column from ``body``.

``format`` says how an entry's hash is computed (canonical.py): 2 for everything written
now, 1 for entries written before formats existed. Its server default is 1 so that the
migration which added it marks every existing entry as what it is, without an UPDATE.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Integer,
    SmallInteger,
    String,
    Table,
    Text,
    text,
)
from sqlmodel import Field, SQLModel

HASH_HEX = 64


def _format_column() -> Column[int]:
    return Column(SmallInteger, nullable=False, server_default=text("1"))


class LogEntry(SQLModel, table=True):
    """One decision or override, sealed in the chain at position ``seq`` (1, 2, 3, ...)."""

    __tablename__ = "decision_log"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    decision_id: str = Field(sa_column=Column(String(200), nullable=False, unique=True))
    kind: str = Field(sa_column=Column(String(16), nullable=False))
    agency: str | None = Field(default=None, sa_column=Column(String(32)))
    source_id: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    source_code: str | None = Field(default=None, sa_column=Column(String(16)))
    child_index: int | None = Field(default=None, sa_column=Column(Integer))
    child_key: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    household_id: str | None = Field(default=None, sa_column=Column(String(200)))
    match: str | None = Field(default=None, sa_column=Column(String(16)))
    match_score: float | None = Field(default=None, sa_column=Column(Float))
    route: str | None = Field(default=None, sa_column=Column(String(16), index=True))
    level: int | None = Field(default=None, sa_column=Column(Integer))
    rule_ids: str = Field(sa_column=Column(Text, nullable=False))
    flags: str = Field(sa_column=Column(Text, nullable=False))
    rule_set_version: str | None = Field(default=None, sa_column=Column(String(128)))
    input_digest: str | None = Field(default=None, sa_column=Column(String(128)))
    received_at: datetime | None = Field(default=None, sa_column=Column(DateTime(True)))
    decided_at: datetime = Field(sa_column=Column(DateTime(True), nullable=False, index=True))
    deadline: datetime | None = Field(default=None, sa_column=Column(DateTime(True)))
    decided_by: str = Field(sa_column=Column(String(200), nullable=False))
    supersedes: str | None = Field(default=None, sa_column=Column(String(200), index=True))
    reason: str | None = Field(default=None, sa_column=Column(Text))
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = Field(sa_column=Column(DateTime(True), nullable=False))
    prev_hash: str = Field(sa_column=Column(String(HASH_HEX), nullable=False))
    entry_hash: str = Field(sa_column=Column(String(HASH_HEX), nullable=False))
    format: int = Field(sa_column=_format_column())


class SinkOffset(SQLModel, table=True):
    """Next Kafka offset to read per topic partition, committed with the entries it covers."""

    __tablename__ = "sink_offsets"

    topic: str = Field(sa_column=Column(String(255), primary_key=True))
    partition: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    next_offset: int = Field(sa_column=Column(BigInteger, nullable=False))


class AccessEntry(SQLModel, table=True):
    """One read of the log (who, what, when), chained like the decisions."""

    __tablename__ = "access_log"

    seq: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    who: str = Field(sa_column=Column(String(200), nullable=False))
    action: str = Field(sa_column=Column(String(32), nullable=False))
    detail: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = Field(sa_column=Column(DateTime(True), nullable=False))
    prev_hash: str = Field(sa_column=Column(String(HASH_HEX), nullable=False))
    entry_hash: str = Field(sa_column=Column(String(HASH_HEX), nullable=False))
    format: int = Field(sa_column=_format_column())


# Core tables, for fast bulk inserts and streaming selects.
DECISIONS: Table = LogEntry.__table__  # type: ignore[attr-defined]
OFFSETS: Table = SinkOffset.__table__  # type: ignore[attr-defined]
ACCESS: Table = AccessEntry.__table__  # type: ignore[attr-defined]
