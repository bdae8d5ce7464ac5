"""Alembic environment of the national-council service."""

from national_council.adapters.tables import metadata
from samverkan_shared.migrations import run_env

run_env(metadata)
