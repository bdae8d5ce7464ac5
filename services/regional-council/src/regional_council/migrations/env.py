"""Alembic environment of the regional-council service."""

from regional_council.adapters.tables import metadata
from samverkan_shared.migrations import run_env

run_env(metadata)
