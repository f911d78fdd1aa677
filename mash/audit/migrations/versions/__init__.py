"""Revisions of the decision-log schema, oldest first."""
