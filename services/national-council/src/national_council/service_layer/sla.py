"""The periodic service-level check: it lives in the database, so a restart loses nothing.

Each issue's targets are columns; every tick asks the database which open issues passed a
target without a breach row yet, writes the breach row (primary key (issue, target)) and the
``sla.breached`` event in one transaction. No timer is held in memory: after a restart (or
with several replicas) the next tick finds exactly what is due, and the key keeps it
once-only. Each tick also refreshes the queue gauges of ``/metrics``.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy import and_, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from national_council.adapters import repository as repo
from national_council.adapters.tables import issues, sla_breaches
from national_council.domain.model import NationalState
from national_council.service_layer.queue import acknowledge_overdue, answer_overdue, overdue
from national_council.service_layer.transitions import emit_to, issue_ref
from samverkan_shared.contracts import ServiceLevelBreached, ServiceLevelTarget
from samverkan_shared.db import insert_ignore
from samverkan_shared.logs import get_logger
from samverkan_shared.uow import Storage, UnitOfWork

__all__ = ["OVERDUE", "QUEUE", "SlaWatch"]

log = get_logger(__name__)

QUEUE = Gauge(
    "samverkan_national_queue_issues", "Issues in the national queue, by state", ["state"]
)
OVERDUE = Gauge(
    "samverkan_national_overdue_issues", "Open national issues past a service-level target"
)

_TARGETS = {
    ServiceLevelTarget.ACKNOWLEDGE: (acknowledge_overdue, issues.c.acknowledge_by),
    ServiceLevelTarget.ANSWER: (answer_overdue, issues.c.answer_by),
}


class SlaWatch:
    """Finds breached targets every ``interval`` seconds and announces each once."""

    def __init__(self, storage: Storage, interval: float, batch: int = 500) -> None:
        self.storage = storage
        self.interval = interval
        self.batch = batch

    async def run(self) -> None:
        """The worker: check, refresh the gauges, sleep; errors are logged and retried."""
        while True:
            try:
                await self.check()
                await self.refresh_gauges()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("service-level check failed; retrying next tick")
            await asyncio.sleep(self.interval)

    async def check(self) -> int:
        """Record and announce every breach not yet recorded; the number announced."""
        announced = 0
        async with self.storage.unit_of_work() as uow:
            at = repo.now()
            for target in _TARGETS:
                for issue in await self._due(uow.conn, target, at):
                    announced += await self._breach(uow, issue, target, at)
            await uow.commit()
        if announced:
            log.info("service-level breaches announced", count=announced)
        return announced

    async def _due(
        self, conn: AsyncConnection, target: ServiceLevelTarget, at: datetime
    ) -> list[dict[str, Any]]:
        clause, _ = _TARGETS[target]
        recorded = exists().where(
            and_(sla_breaches.c.issue_id == issues.c.id, sla_breaches.c.target == target.value)
        )
        query = select(issues).where(clause(at), ~recorded).limit(self.batch)
        if conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)  # replicas share the work
        return [dict(r._mapping) for r in await conn.execute(query)]

    async def _breach(
        self, uow: UnitOfWork, issue: dict[str, Any], target: ServiceLevelTarget, at: datetime
    ) -> int:
        _, column = _TARGETS[target]
        due = issue[column.name]
        stmt = insert_ignore(
            uow.conn,
            sla_breaches,
            issue_id=issue["id"],
            target=target.value,
            due_at=due,
            breached_at=at,
        )
        if (await uow.conn.execute(stmt)).rowcount == 0:
            return 0  # another replica got there first
        event = ServiceLevelBreached(**issue_ref(issue), target=target, due_at=due, breached_at=at)
        await emit_to(uow, issue["region"], event, issue["correlation_id"])
        note = f"{target.value} target {due.isoformat()} breached"
        await repo.audit(uow.conn, issue, "sla_breached", "system:sla", note, at)
        return 1

    async def refresh_gauges(self) -> None:
        """Queue size by state and the overdue count, for /metrics."""
        async with self.storage.engine.connect() as conn:
            counts = dict(
                (r.state, r.n)
                for r in await conn.execute(
                    select(issues.c.state, func.count().label("n")).group_by(issues.c.state)
                )
            )
            late = (
                await conn.execute(
                    select(func.count()).select_from(issues).where(overdue(repo.now()))
                )
            ).scalar_one()
        for state in NationalState:
            QUEUE.labels(state=state.value).set(counts.get(state.value, 0))
        OVERDUE.set(late)
