"""Each service's migrations build exactly its models on PostgreSQL, and undo cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect
from sqlalchemy.engine import Connection

import national_council.adapters.tables as national_tables
import notifications.adapters.tables as notification_tables
import regional_council.adapters.tables as regional_tables
from national_council.bootstrap import MIGRATIONS as NATIONAL
from notifications.bootstrap import MIGRATIONS as NOTIFICATIONS
from regional_council.bootstrap import MIGRATIONS as REGIONAL
from samverkan_shared.db import make_engine
from samverkan_shared.migrations import downgrade, upgrade
from tests.infra import fresh_databases, postgres_admin_dsn

SERVICES: dict[str, tuple[MetaData, Path]] = {
    "national": (national_tables.metadata, NATIONAL),
    "regional": (regional_tables.metadata, REGIONAL),
    "notifications": (notification_tables.metadata, NOTIFICATIONS),
}


@pytest.fixture(scope="module")
def empty_databases() -> Iterator[dict[str, str]]:
    with (
        postgres_admin_dsn() as admin,
        fresh_databases(admin, [f"mig_{s}" for s in SERVICES]) as urls,
    ):
        yield urls


def _diff(conn: Connection, metadata: MetaData) -> list[object]:
    return list(
        compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    )


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names())


@pytest.mark.parametrize("service", list(SERVICES))
async def test_up_to_head_matches_the_models_and_down_to_base_is_empty(
    service: str, empty_databases: dict[str, str]
) -> None:
    metadata, migrations = SERVICES[service]
    engine = make_engine(empty_databases[f"mig_{service}"])
    try:
        await upgrade(engine, migrations)
        async with engine.connect() as conn:
            assert await conn.run_sync(_diff, metadata) == []
            assert await conn.run_sync(_tables) == set(metadata.tables) | {"alembic_version"}
        await downgrade(engine, migrations)
        async with engine.connect() as conn:
            assert await conn.run_sync(_tables) == {"alembic_version"}
        await upgrade(engine, migrations)  # and up again: the downgrade left nothing behind
    finally:
        await engine.dispose()
