"""Session fixtures: one broker, fresh PostgreSQL databases, an SMTP server, the network."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from devstack.keys import key_id, key_path
from devstack.smtp_sink import MailStore, start_sink
from devstack.stack import ServiceSpec, Stack, free_base_port, network_specs
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.registry import load_regions
from samverkan_shared.settings import DEV_API_TOKEN
from samverkan_shared.signing import Signer
from samverkan_shared.topics import all_topics
from tests.infra import fresh_databases, kafka_bootstrap, postgres_admin_dsn
from tests.national_app import national_app  # noqa: F401  (a session fixture: the staff tests)

SERVICES = [
    "national-council",
    *(f"regional-council.{r.code}" for r in load_regions()),
    "notifications",
]


@pytest.fixture(scope="session")
def bootstrap() -> Iterator[str]:
    with kafka_bootstrap() as servers:
        asyncio.run(ensure_topics(servers, all_topics()))
        yield servers


@pytest.fixture(scope="session")
def databases() -> Iterator[dict[str, str]]:
    with postgres_admin_dsn() as admin, fresh_databases(admin, SERVICES) as urls:
        yield urls


@pytest.fixture(scope="session")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[MailStore, int]]:
    port = random.randrange(50_000, 60_000)
    controller, store = start_sink(tmp_path_factory.mktemp("mail"), "127.0.0.1", port)
    try:
        yield store, port
    finally:
        controller.stop()


@dataclass
class Network:
    """The running services of one test session."""

    specs: dict[str, ServiceSpec]
    stack: Stack
    bootstrap: str
    databases: dict[str, str]
    mail: MailStore
    keys: Path

    def url(self, name: str) -> str:
        return self.specs[name].url

    def signer(self, region: str) -> Signer:
        """The region's own signing key, as its regional service holds it."""
        return Signer.from_file(key_id(region), key_path(self.keys, region))

    def client(self, name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self.url(name),
            headers={"Authorization": f"Bearer {DEV_API_TOKEN}"},
            timeout=10.0,
        )


@pytest.fixture(scope="session")
def network(
    bootstrap: str,
    databases: dict[str, str],
    mail: tuple[MailStore, int],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Network]:
    store, smtp_port = mail
    keys = tmp_path_factory.mktemp("keys")
    specs = network_specs(
        bootstrap=bootstrap,
        database_url=lambda name: databases[name],
        smtp_port=smtp_port,
        keys=keys,
        base_port=free_base_port(len(load_regions())),
        extra_env={
            "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
            "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
            "SAMVERKAN_LOG_FORMAT": "json",
            "SAMVERKAN_SLA_CHECK_SECONDS": "1",  # the national breach check, every second
        },
    )
    logs = Path(tmp_path_factory.mktemp("logs"))
    stack = Stack(logs)
    for spec in specs:
        stack.start(spec)
    try:
        stack.wait_ready(timeout=120)
        yield Network({s.name: s for s in specs}, stack, bootstrap, databases, store, keys)
    except BaseException:
        for log in sorted(logs.glob("*.log")):
            print(f"===== {log.name}\n{log.read_text()[-3000:]}")
        raise
    finally:
        stack.stop_all()


@pytest.fixture(scope="session")
async def producer(bootstrap: str) -> AsyncIterator[AIOKafkaProducer]:
    """A plain Kafka producer, as a regional system in any language would use."""
    prod = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await prod.start()
    try:
        yield prod
    finally:
        await prod.stop()
