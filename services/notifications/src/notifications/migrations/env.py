"""Alembic environment of the notifications service."""

from notifications.adapters.tables import metadata
from samverkan_shared.migrations import run_env

run_env(metadata)
