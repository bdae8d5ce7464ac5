"""Alembic revisions of the regional-council service."""
