"""A service database for consumer tests: SQLite, with one ``effects`` table a handler fills."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import Column, MetaData, String, Table

from samverkan_shared.db import make_engine
from samverkan_shared.uow import Storage


@pytest.fixture
async def storage(tmp_path: Path) -> AsyncIterator[Storage]:
    metadata = MetaData()
    Table("effects", metadata, Column("event_id", String(64), primary_key=True))
    store = Storage(make_engine(f"sqlite+aiosqlite:///{tmp_path / 'unit.db'}"), metadata)
    await store.create_schema()
    yield store
    await store.engine.dispose()
