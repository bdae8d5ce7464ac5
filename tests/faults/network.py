"""The network under test: its own Tansu (restartable on the same port), databases, services."""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.engine import make_url

from devstack.broker import Tansu, free_port
from devstack.smtp_sink import start_sink
from devstack.stack import ServiceSpec, Stack, free_base_port, network_specs
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.registry import load_regions
from samverkan_shared.topics import all_topics
from tests.faults.proxy import TcpProxy
from tests.infra import fresh_databases, postgres_admin_dsn

__all__ = ["FaultNetwork", "fault_network"]

PROXIED = "national-council"  # the service whose database the outage scenario takes away


@dataclass
class FaultNetwork:
    """Every service as a process, plus the handles a fault needs."""

    specs: dict[str, ServiceSpec]
    stack: Stack
    broker: Tansu
    databases: dict[str, str]
    proxy: TcpProxy
    logs: Path
    regions: list[str] = field(default_factory=list)

    @property
    def bootstrap(self) -> str:
        return self.broker.bootstrap

    def url(self, name: str) -> str:
        return self.specs[name].url

    def dsn(self, name: str) -> str:
        """A plain asyncpg DSN for a service's database (direct, never through the proxy)."""
        return self.databases[name].replace("postgresql+asyncpg://", "postgresql://", 1)

    def kill9(self, name: str) -> None:
        """kill -9, no goodbye: transactions in flight roll back, offsets stay where they were."""
        self.stack.stop(name, signal.SIGKILL)

    def start(self, name: str) -> None:
        self.stack.start(self.specs[name])

    def wait_ready(self, timeout: float = 120) -> None:
        self.stack.wait_ready(timeout=timeout)

    def restart_broker(self) -> None:
        """Kill Tansu and start a new, empty one on the same port; recreate the topics."""
        assert self.broker.process is not None
        self.broker.process.kill()
        self.broker.process.wait()
        self.broker.start()
        asyncio.run(ensure_topics(self.bootstrap, all_topics()))


@contextmanager
def fault_network(workdir: Path) -> Iterator[FaultNetwork]:
    """Start a fresh network for fault injection; everything stopped and dropped afterwards."""
    names = ["national-council", *(f"regional-council.{r.code}" for r in load_regions())]
    names.append("notifications")
    with ExitStack() as stack:
        admin = stack.enter_context(postgres_admin_dsn())
        urls = stack.enter_context(fresh_databases(admin, names))
        broker = Tansu(port=free_port(), log_path=workdir / "tansu.log").start()
        stack.callback(broker.stop)
        asyncio.run(ensure_topics(broker.bootstrap, all_topics()))
        pg = make_url(urls[PROXIED])
        proxy = TcpProxy(pg.host or "127.0.0.1", pg.port or 5432).start()
        stack.callback(proxy.stop)
        proxied = dict(urls)
        proxied[PROXIED] = str(pg.set(host="127.0.0.1", port=proxy.port).render_as_string(False))
        smtp_port = free_port()  # a random pick collided with a port in use
        controller, _ = start_sink(workdir / "mail", "127.0.0.1", smtp_port)
        stack.callback(controller.stop)
        specs = network_specs(
            bootstrap=broker.bootstrap,
            database_url=lambda name: proxied[name],
            smtp_port=smtp_port,
            keys=workdir / "keys",
            base_port=free_base_port(len(load_regions())),
            extra_env={
                "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
                "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                "SAMVERKAN_LOG_FORMAT": "json",
                "SAMVERKAN_LOG_LEVEL": "WARNING",
            },
        )
        logs = workdir / "logs"
        procs = Stack(logs)
        stack.callback(procs.stop_all)
        for spec in specs:
            procs.start(spec)
        started = time.monotonic()
        procs.wait_ready(timeout=180)
        print(f"network ready in {time.monotonic() - started:.1f} s")
        yield FaultNetwork(
            {s.name: s for s in specs},
            procs,
            broker,
            urls,
            proxy,
            logs,
            [r.code for r in load_regions()],
        )
