"""The decision log on real databases: SQLite always, PostgreSQL when configured.

``db_url`` is parametrised over both engines. PostgreSQL comes from the shared ``postgres_url``
fixture (``MASH_TEST_POSTGRES_URL``); each test gets a schema of its own (through the
connection's search_path), dropped afterwards, so tests never see each other's logs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import uuid4

import pytest
from audit_samples import sample_decision
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url


@pytest.fixture
def make_decision() -> Callable[..., dict[str, Any]]:
    return sample_decision


def _in_schema(url: str, schema: str) -> str:
    """The same database, with ``schema`` first on the search path of every connection."""
    from mash.audit.store import normalise_url

    parsed = make_url(normalise_url(url)).update_query_dict({"options": f"-csearch_path={schema}"})
    return parsed.render_as_string(hide_password=False)


@pytest.fixture
def postgres_log_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty schema in the test PostgreSQL database."""
    from mash.audit.store import normalise_url

    base = normalise_url(request.getfixturevalue("postgres_url"))
    schema = f"audit_{uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"CREATE SCHEMA {schema}")
        yield _in_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty decision-log database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'decisions.db'}"
    return str(request.getfixturevalue("postgres_log_url"))
