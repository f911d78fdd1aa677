"""The decision log, its sink offsets and its access log, append-only by trigger.

Revision ID: 0001
Revises:
Create Date: 2026-05-20

Why triggers: the application never updates or deletes an entry, but a bug, a careless
script or a well-meaning administrator could. The database itself refuses UPDATE and DELETE
on both logs (and TRUNCATE on PostgreSQL), so changing history takes a deliberate act
(dropping the trigger), which the hash chain and the signed checkpoints then expose.
Sink offsets are updated in place on purpose: they are a reading position, not history.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mash.errors import AuditError

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("decision_log", "access_log")


def _create_decision_log() -> None:
    op.create_table(
        "decision_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("decision_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("agency", sa.String(32), nullable=True),
        sa.Column("source_id", sa.String(200), nullable=True),
        sa.Column("source_code", sa.String(16), nullable=True),
        sa.Column("child_index", sa.Integer(), nullable=True),
        sa.Column("child_key", sa.String(200), nullable=True),
        sa.Column("household_id", sa.String(200), nullable=True),
        sa.Column("match", sa.String(16), nullable=True),
        sa.Column("match_score", sa.Float(), nullable=True),
        sa.Column("route", sa.String(16), nullable=True),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("rule_ids", sa.Text(), nullable=False),
        sa.Column("flags", sa.Text(), nullable=False),
        sa.Column("rule_set_version", sa.String(128), nullable=True),
        sa.Column("input_digest", sa.String(128), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(200), nullable=False),
        sa.Column("supersedes", sa.String(200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("decision_id"),
    )
    for column in ("source_id", "child_key", "route", "decided_at", "supersedes"):
        op.create_index(f"ix_decision_log_{column}", "decision_log", [column])


def _create_sink_offsets() -> None:
    op.create_table(
        "sink_offsets",
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("partition", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("next_offset", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition"),
    )


def _create_access_log() -> None:
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("who", sa.String(200), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )


def _sqlite_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_{verb.lower()} BEFORE {verb} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: {verb} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ]


POSTGRES_FUNCTION = """
CREATE FUNCTION mash_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def _postgres_triggers(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION mash_refuse_change()",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION mash_refuse_change()",
    ]


def _create_triggers() -> None:
    dialect = op.get_bind().dialect.name
    statements: list[str]
    if dialect == "sqlite":
        statements = [s for table in APPEND_ONLY for s in _sqlite_triggers(table)]
    elif dialect == "postgresql":
        statements = [POSTGRES_FUNCTION]
        statements += [s for table in APPEND_ONLY for s in _postgres_triggers(table)]
    else:
        raise AuditError(f"the decision log supports SQLite and PostgreSQL, not {dialect}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _create_decision_log()
    _create_sink_offsets()
    _create_access_log()
    _create_triggers()


def downgrade() -> None:
    """Refused: downgrading would drop the log, and the log is kept, never destroyed."""
    raise AuditError("the decision log is append-only and is never downgraded")
