"""Each service's migrations build exactly its models on PostgreSQL, and undo cleanly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import MetaData, inspect, text
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
        fresh_databases(
            admin, [f"{kind}_{s}" for s in SERVICES for kind in ("mig", "models")]
        ) as urls,
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


async def _index_definitions(url: str) -> list[str]:
    """Every index as PostgreSQL prints it, without its name (a constraint's index keeps the
    name of the table it was made on: notifications renamed ``deliveries_new``)."""
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes"
                    " WHERE schemaname = 'public' AND tablename != 'alembic_version'"
                )
            )
            return sorted(definition.replace(f" {name} ON ", " ON ") for name, definition in rows)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", list(SERVICES))
async def test_the_migrations_build_every_index_as_the_models_define_it(
    service: str, empty_databases: dict[str, str]
) -> None:
    """Columns, expressions and partial-index conditions too (autogenerate compares none of
    the last two): a migrated database answers queries with the indexes the models promise."""
    metadata, migrations = SERVICES[service]
    migrated, modelled = (make_engine(empty_databases[f"{k}_{service}"]) for k in ("mig", "models"))
    try:
        await upgrade(migrated, migrations)
        async with modelled.begin() as conn:
            await conn.run_sync(metadata.create_all)
    finally:
        await migrated.dispose()
        await modelled.dispose()
    built = await _index_definitions(empty_databases[f"mig_{service}"])
    promised = await _index_definitions(empty_databases[f"models_{service}"])
    assert built == promised
