"""Every entry of both logs says its hash format: 1 for those already logged, 2 from now on.

Revision ID: 0002
Revises: 0001
Create Date: 2026-06-01

Why a column and not a guess: format 1 hashed Python's own JSON spelling, format 2 hashes
RFC 8785 (mash/audit/canonical.py), and the same decision can have different bytes in the
two. Verification must know which spelling each entry was sealed in, and an auditor reading
an export must too. Existing entries get 1 through the column's default: adding a column
with a constant default rewrites no row and fires no UPDATE trigger (SQLite; PostgreSQL 11
and later), so the append-only guarantee holds through the migration. New entries carry 2.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mash.errors import AuditError

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("decision_log", "access_log")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table,
            sa.Column("format", sa.SmallInteger(), nullable=False, server_default=sa.text("1")),
        )


def downgrade() -> None:
    """Refused: the log is append-only and is never downgraded."""
    raise AuditError("the decision log is append-only and is never downgraded")
