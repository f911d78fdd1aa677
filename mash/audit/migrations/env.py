"""Alembic environment of the decision log.

Why no alembic.ini: the migrations ship inside the package and run programmatically from
``mash.audit.store.open_log`` on the connection it has already locked, so that two processes
opening a fresh database at once cannot both create the tables. Run any other way, this file
refuses rather than guess a database.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import mash.audit.models  # noqa: F401  (registers the log's tables on SQLModel.metadata)
from mash.errors import AuditError

VERSION_TABLE = "mash_audit_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise AuditError("decision-log migrations run through mash.audit.store.open_log(url)")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    version_table=VERSION_TABLE,
)
with context.begin_transaction():
    context.run_migrations()
