"""Alembic for every service: one env.py body, and upgrade/downgrade callable from code.

A service's ``migrations/env.py`` is two lines (``run_env(metadata)``); its revisions live in
``migrations/versions``. Operators run ``<service> migrate`` or
``alembic -c services/<service>/alembic.ini upgrade head``.

Alembic is imported by the functions that use it, not by this module: every service imports
this module, and a service deployed with ``SAMVERKAN_MIGRATE_ON_START=false`` (a migration
job runs first) never migrates, so Alembic and Mako (7 MiB of its resident memory) stay out
of it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import MetaData
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from samverkan_shared.db import make_engine

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = ["alembic_config", "downgrade", "run_env", "upgrade"]

URL_ENV = "SAMVERKAN_DATABASE_URL"


def alembic_config(script_location: Path, url: str | None = None) -> Config:
    """A Config for a service's migrations folder, without an ini file."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(connection: Connection, metadata: MetaData) -> None:
    from alembic import context

    context.configure(
        connection=connection,
        target_metadata=metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copying
    )
    with context.begin_transaction():
        context.run_migrations()


def run_env(metadata: MetaData) -> None:
    """The body of every service's env.py: online migrations on the async engine."""
    from alembic import context

    shared: Connection | None = context.config.attributes.get("connection")
    if shared is not None:
        _run(shared, metadata)
        return
    url = context.config.get_main_option("sqlalchemy.url") or os.environ.get(URL_ENV)
    if not url:
        raise RuntimeError(f"set {URL_ENV} (or sqlalchemy.url) to migrate")

    async def online() -> None:
        engine = make_engine(url)
        async with engine.connect() as conn:
            await conn.run_sync(_run, metadata)
            await conn.commit()
        await engine.dispose()

    asyncio.run(online())


def _with_connection(conn: Connection, cfg: Config, action: str, revision: str) -> None:
    from alembic import command

    cfg.attributes["connection"] = conn
    getattr(command, action)(cfg, revision)


async def _migrate(engine: AsyncEngine, script_location: Path, action: str, revision: str) -> None:
    """Run Alembic's ``upgrade`` or ``downgrade`` on the service's own engine."""
    async with engine.begin() as conn:
        await conn.run_sync(_with_connection, alembic_config(script_location), action, revision)


async def upgrade(engine: AsyncEngine, script_location: Path, revision: str = "head") -> None:
    """Bring the database to a revision (head by default), on the service's own engine."""
    await _migrate(engine, script_location, "upgrade", revision)


async def downgrade(engine: AsyncEngine, script_location: Path, revision: str = "base") -> None:
    """Take the database back to a revision (empty by default)."""
    await _migrate(engine, script_location, "downgrade", revision)
