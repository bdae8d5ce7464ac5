"""One service process: database, broker, relay and consumers started and stopped together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI
from faststream.kafka import KafkaBroker
from sqlalchemy import MetaData, text

from samverkan_shared.asyncapi import asyncapi_router, document
from samverkan_shared.consumer import DeadLetterHook, EventConsumer, Handler
from samverkan_shared.db import make_engine
from samverkan_shared.envelope import Envelope
from samverkan_shared.heap import collect_less_often, freeze_startup_objects
from samverkan_shared.http import KeyCheck, install, token_guard
from samverkan_shared.kafka import BrokerSink, build_broker, subscribe
from samverkan_shared.logs import get_logger
from samverkan_shared.metrics import kafka_lag, metrics_router
from samverkan_shared.migrations import upgrade
from samverkan_shared.pipeline import BatchPipeline
from samverkan_shared.relay import OutboxRelay
from samverkan_shared.resend import install_recovery
from samverkan_shared.settings import ServiceSettings
from samverkan_shared.sigcheck import Verifier
from samverkan_shared.tracing import configure_tracing, http_telemetry, shutdown_tracing
from samverkan_shared.uow import Storage

__all__ = ["Runtime"]

log = get_logger(__name__)


@dataclass
class Runtime:
    """What a service process runs besides its HTTP routes."""

    name: str
    settings: ServiceSettings
    metadata: MetaData
    migrations: Path
    storage: Storage = field(init=False)
    broker: KafkaBroker = field(init=False)
    relay: OutboxRelay = field(init=False)
    consumers: list[tuple[EventConsumer, Any]] = field(default_factory=list)
    workers: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)
    pipelines: list[BatchPipeline] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _closing: list[Callable[[], Coroutine[Any, Any, None]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.storage = Storage(
            make_engine(
                self.settings.database_url,
                pool_size=self.settings.database_pool_size,
                max_overflow=self.settings.database_max_overflow,
            ),
            self.metadata,
        )
        self.broker = build_broker(self.settings, client_id=self.name)
        self.sink = BrokerSink(self.broker)
        self.relay = OutboxRelay(
            self.storage, self.sink, idle_poll=self.settings.outbox_idle_poll_seconds
        )
        # Gap detection and re-send: its control-topic subscriber is part of the service, so
        # it is registered here, where the AsyncAPI document (built without running) sees it.
        install_recovery(self)

    def consume(
        self,
        topics: Iterable[str],
        handler: Handler,
        *,
        group_id: str,
        verify: Callable[[Envelope], None] | None = None,
        on_dead_letter: DeadLetterHook | None = None,
    ) -> EventConsumer:
        """Register an idempotent consumer of the given topics (verifying signatures if asked)."""
        consumer = EventConsumer(
            group_id, self.storage, handler, self.sink, verify=verify, on_dead_letter=on_dead_letter
        )
        subscriber, pace, pipeline = subscribe(
            self.broker, consumer, list(topics), group_id=group_id, settings=self.settings
        )
        self.consumers.append((consumer, subscriber))
        if isinstance(verify, Verifier):  # its helper process ends with the service
            self._closing.append(verify.close)
        self.pipelines.append(pipeline)
        self.workers.append(pace.run)
        return consumer

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Runtime]:
        """Start everything; stop it all on exit (Ctrl-C included)."""
        if self.settings.migrate_on_start:
            await upgrade(self.storage.engine, self.migrations)
        await self.broker.start()
        for work in (self.relay.run, *self.workers):
            self._tasks.append(asyncio.create_task(work(), name=f"{self.name}:{work.__name__}"))
        # After everything start-up builds (samverkan_shared.heap).
        frozen = freeze_startup_objects()
        collect_less_often()
        log.info("service started", consumers=len(self.consumers), frozen_objects=frozen)
        try:
            yield self
        finally:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            # Each consumer's last batch commits (its transaction and its offsets) first.
            await asyncio.gather(*(pipeline.close() for pipeline in self.pipelines))
            await asyncio.gather(*(close() for close in self._closing))
            await self.broker.stop()
            await self.storage.engine.dispose()
            log.info("service stopped")

    def asgi(
        self,
        title: str,
        description: str,
        router: Callable[[Any], APIRouter],
        accept: KeyCheck | None = None,
    ) -> FastAPI:
        """The service's ASGI app: its routes behind the token, health, limits, lifespan.

        ``router`` receives the bearer-token dependency and returns the service's routes;
        ``accept`` lets the service take its own keys besides the operator token.
        """

        @contextlib.asynccontextmanager
        async def lifespan(_: FastAPI) -> AsyncIterator[None]:
            async with self.running():
                yield
            shutdown_tracing()  # flush the last spans before the process ends

        configure_tracing(self.name)  # off unless OTEL_TRACES_EXPORTER asks for an exporter
        app = FastAPI(
            title=title,
            description=description,
            version="0.1.0",
            lifespan=lifespan,
            telemetry=http_telemetry(),  # type: ignore[arg-type]
        )
        app.state.runtime = self
        install(app, self.readiness, self.settings.max_body_bytes)
        app.include_router(metrics_router(self.relay.backlog, self.lag))
        app.include_router(
            asyncapi_router(
                lambda: document(
                    self.name,
                    self.broker,
                    title=title,
                    description=description,
                    version=app.version,
                )
            )
        )
        guard = token_guard(self.settings.api_token.get_secret_value(), accept)
        app.include_router(router(guard))
        return app

    async def lag(self) -> list[tuple[str, str, int, int]]:
        """Consumer lag of every partition assigned to this process (for ``/metrics``)."""
        return await kafka_lag(
            (consumer.name, getattr(subscriber, "consumer", None))
            for consumer, subscriber in self.consumers
        )

    async def readiness(self) -> dict[str, str]:
        """Each dependency's state: 'ok' or why not."""
        checks: dict[str, str] = {}
        try:
            async with self.storage.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {exc.__class__.__name__}"
        try:
            ok = await self.broker.ping(timeout=2.0)
            checks["broker"] = "ok" if ok else "unreachable"
        except Exception as exc:
            checks["broker"] = f"unreachable: {exc.__class__.__name__}"
        for consumer, subscriber in self.consumers:
            kafka_consumer = getattr(subscriber, "consumer", None)
            assigned = bool(kafka_consumer and kafka_consumer.assignment())
            checks[f"consumer:{consumer.name}"] = "ok" if assigned else "no partitions assigned"
        return checks
