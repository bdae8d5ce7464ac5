"""Alembic revisions of the national-council service."""
