"""Alembic migrations of the decision log, shipped in the package and run by ``open_log``."""
