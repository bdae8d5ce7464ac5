"""A national-council process of its own (real broker, fresh PostgreSQL) for the staff tests.

The access, web and browser tests need the national service only; escalations arrive as
signed upstream events, exactly as a region's service sends them. Running it alone keeps
those tests fast and independent of the other services.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.broker import Tansu, free_port
from devstack.keys import key_id, key_path
from devstack.stack import Stack, free_base_port, network_specs
from samverkan_shared.contracts import IssueEscalated, Urgency
from samverkan_shared.envelope import Envelope, region_source
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.registry import load_regions
from samverkan_shared.settings import DEV_API_TOKEN
from samverkan_shared.signing import Signer
from samverkan_shared.topics import all_topics, upstream
from tests.infra import eventually, scratch_database, send

__all__ = ["PASSWORD", "TIMEOUT", "NationalApp", "national_app"]

BIN = Path(sys.executable).parent
PASSWORD = "korrekt-häst-batteri-häftstift"
# Generous: every login and new account is an argon2 hash (64 MiB), and CI's two cores are
# shared with the rest of the suite. A slow answer is not what these tests are about.
TIMEOUT = 30.0


@dataclass
class NationalApp:
    """The running national service, its database and the regions' signing keys."""

    url: str
    database: str
    keys: Path
    bootstrap: str

    def client(self, token: str = DEV_API_TOKEN) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT
        )

    async def rows(self, sql: str, *args: object) -> list[asyncpg.Record]:
        conn = await asyncpg.connect(self.database.replace("+asyncpg", ""))
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """``national-council …`` against this service's database, as an operator runs it."""
        return subprocess.run(
            [str(BIN / "national-council"), *args],
            env={**os.environ, "SAMVERKAN_DATABASE_URL": self.database, "COLUMNS": "160"},
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    async def cli_here(self, *args: str) -> subprocess.CompletedProcess[str]:
        """The same commands in this process (Typer's runner, in a thread for asyncio.run).

        A fresh interpreter costs over a second of imports per command; the tests that
        check what the commands print use this, and ``cli`` where the installed script
        itself is the point.
        """
        from typer.testing import CliRunner

        from national_council import cli_staff
        from national_council.cli import app as cli_app

        cli_staff.console.width = 160

        def run() -> subprocess.CompletedProcess[str]:
            result = CliRunner().invoke(
                cli_app, list(args), env={"SAMVERKAN_DATABASE_URL": self.database}
            )
            return subprocess.CompletedProcess(list(args), result.exit_code, result.stdout, "")

        return await asyncio.to_thread(run)

    async def account(self, role: str, username: str | None = None) -> str:
        """A new staff account made through the API by the operator; returns its username."""
        username = username or f"{role}-{uuid4().hex[:8]}"
        async with self.client() as operator:
            made = await operator.post(
                "/staff",
                json={
                    "username": username,
                    "display_name": f"Test {role}",
                    "role": role,
                    "password": PASSWORD,
                },
            )
        assert made.status_code == 201, made.text
        return username

    @asynccontextmanager
    async def signed_in(self, username: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
        """A client holding ``username``'s session cookie, and the CSRF token its pages carry."""
        async with httpx.AsyncClient(base_url=self.url, timeout=TIMEOUT) as client:
            login = await client.post(
                "/ui/login", data={"username": username, "password": PASSWORD}
            )
            assert login.status_code == 303, login.text
            page = await client.get("/ui/account")
            assert page.status_code == 200, page.text
            match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
            assert match is not None, page.text
            yield client, match.group(1)

    async def token(self, role: str) -> tuple[str, str]:
        """A new account of ``role`` and an API token it made for itself: (username, token)."""
        username = await self.account(role)
        async with self.signed_in(username) as (client, csrf):
            made = await client.post(
                "/tokens", json={"name": "test"}, headers={"X-CSRF-Token": csrf}
            )
        assert made.status_code == 201, made.text
        return username, str(made.json()["token"])

    async def escalate(
        self,
        region: str,
        title: str,
        *,
        areas: list[str] | None = None,
        urgency: Urgency = Urgency.HIGH,
    ) -> str:
        """A signed escalation from ``region``; returns its national reference once queued."""
        issue_id = uuid4()
        event = IssueEscalated(
            issue_id=issue_id,
            region=region,
            title=title,
            summary="Lärosätena kan inte erbjuda VFU till alla antagna studenter.",
            areas=areas or ["clinical-placement"],
            reason_not_regional="Dimensioneringen beslutas nationellt.",
            requested_outcome="En nationell bedömning.",
            urgency=urgency,
            escalated_at=datetime.now(UTC),
        )
        signer = Signer.from_file(key_id(region), key_path(self.keys, region))
        producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all")
        await producer.start()
        try:
            env = signer.sign(Envelope.wrap(event, region_source(region)))
            await send(producer, upstream(region), env)
        finally:
            await producer.stop()
        return await self.national_id(region, issue_id)

    async def national_id(self, region: str, issue_id: UUID) -> str:
        async def probe() -> list[Any]:
            return await self.rows(
                "SELECT id FROM issues WHERE region = $1 AND regional_issue_id = $2",
                region,
                str(issue_id),
            )

        [row] = await eventually(probe, bool, what=f"escalation {issue_id} queued")
        return str(row["id"])


@pytest.fixture(scope="session")
def national_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NationalApp]:
    """One national service for the session's staff tests: its own broker and database.

    Its own broker, because the service's consumer group is fixed: beside the full network's
    national service on one broker, the two would split the upstream partitions.
    """
    broker = Tansu(port=free_port()).start()
    try:
        yield from _serve(broker.bootstrap, tmp_path_factory)
    finally:
        broker.stop()


def _serve(bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[NationalApp]:
    asyncio.run(ensure_topics(bootstrap, all_topics()))
    keys = tmp_path_factory.mktemp("national-keys")
    logs = tmp_path_factory.mktemp("national-logs")
    with scratch_database("national_staff") as database_url:
        [spec] = [
            s
            for s in network_specs(
                bootstrap=bootstrap,
                database_url=lambda _: database_url,
                smtp_port=1,
                keys=keys,
                base_port=free_base_port(len(load_regions())),
                extra_env={
                    "SAMVERKAN_LOG_FORMAT": "json",
                    "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
                    "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                },
            )
            if s.name == "national-council"
        ]
        stack = Stack(Path(logs))
        stack.start(spec)
        try:
            stack.wait_ready(timeout=90)
            yield NationalApp(spec.url, database_url, keys, bootstrap)
        except BaseException:
            for log in sorted(Path(logs).glob("*.log")):
                print(f"===== {log.name}\n{log.read_text()[-3000:]}")
            raise
        finally:
            stack.stop_all()
