"""Alembic revisions of the notifications service."""
