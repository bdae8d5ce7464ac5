"""Consultations: opened to chosen regions with a question and deadline; views side by side;
after the deadline, a summary published as an assessment."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update

from national_council.adapters import repository as repo
from national_council.adapters.tables import consultation_responses, consultations, plan_areas
from national_council.service_layer.assessments import AssessmentCommands, NewAssessment
from national_council.service_layer.transitions import emit_to
from samverkan_shared.areas import check_areas
from samverkan_shared.contracts import ConsultationOpened
from samverkan_shared.ids import new_id
from samverkan_shared.registry import load_regions
from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound
from samverkan_shared.uow import Storage

__all__ = ["ConsultationCommands", "consultation_detail", "list_consultations"]

Row = dict[str, Any]


class ConsultationCommands:
    """Open a consultation; conclude it with a summary assessment."""

    def __init__(self, storage: Storage, assessments: AssessmentCommands) -> None:
        self.storage = storage
        self.assessments = assessments

    async def open(
        self, question: str, areas: list[str], regions: list[str], deadline: datetime, actor: str
    ) -> Row:
        """Ask the regions (all if none named) for their views by the deadline."""
        at = repo.now()
        if deadline <= at:
            raise InvalidInput(("body", "deadline"), "the deadline must be in the future")
        everyone = [r.code for r in load_regions()]
        addressed = [r for r in everyone if not regions or r in regions]
        row: Row = {
            "id": new_id(),
            "question": question,
            "areas": list(dict.fromkeys(areas)),
            "addressed_regions": addressed,
            "deadline": deadline,
            "opened_by": actor,
            "opened_at": at,
            "summary_assessment_id": None,
        }
        async with self.storage.unit_of_work() as uow:
            await check_areas(uow.conn, plan_areas, row["areas"])
            await uow.conn.execute(consultations.insert().values(**row))
            event = ConsultationOpened(
                consultation_id=UUID(row["id"]),
                question=question,
                areas=row["areas"],
                addressed_regions=addressed,
                deadline=deadline,
            )
            fanout = new_id()
            for region in addressed:
                await emit_to(uow, region, event, None, fanout)
            await uow.commit()
        return row

    async def conclude(self, consultation_id: str, summary: NewAssessment, actor: str) -> Row:
        """After the deadline: publish the summary as an assessment to the consulted regions."""
        async with self.storage.engine.connect() as conn:
            consultation = await _get(conn, consultation_id)
        if consultation["summary_assessment_id"] is not None:
            raise Conflict(
                f"consultation {consultation_id} is 'concluded' by assessment "
                f"{consultation['summary_assessment_id']}"
            )
        if repo.now() < consultation["deadline"]:
            raise Conflict(
                f"consultation {consultation_id} is 'open' until "
                f"{consultation['deadline'].isoformat()}; conclude it after the deadline"
            )
        new = NewAssessment(
            summary.title,
            summary.summary,
            summary.recommendation,
            summary.areas or consultation["areas"],
            summary.regions or consultation["addressed_regions"],
            summary.answers,
        )
        published = await self.assessments.publish(new, actor)
        async with self.storage.unit_of_work() as uow:
            result = await uow.conn.execute(
                update(consultations)
                .where(
                    consultations.c.id == consultation_id,
                    consultations.c.summary_assessment_id.is_(None),
                )
                .values(summary_assessment_id=published["id"])
            )
            if result.rowcount == 0:
                raise Conflict(f"consultation {consultation_id} was concluded meanwhile")
            await uow.commit()
        return published


async def _get(conn: Any, consultation_id: str) -> Row:
    row = (
        await conn.execute(select(consultations).where(consultations.c.id == consultation_id))
    ).first()
    if row is None:
        raise NotFound(f"consultation {consultation_id} not found")
    return dict(row._mapping)


async def list_consultations(conn: Any) -> list[Row]:
    """Every consultation, newest first, with how many regions have responded."""
    rows = [
        dict(r._mapping)
        for r in await conn.execute(
            select(consultations).order_by(consultations.c.opened_at.desc())
        )
    ]
    for row in rows:
        row["responses"] = await _responses(conn, row)
        row["state"] = _state(row)
    return rows


async def consultation_detail(conn: Any, consultation_id: str) -> Row:
    """A consultation with each addressed region's views side by side (None: not yet)."""
    row = await _get(conn, consultation_id)
    row["responses"] = await _responses(conn, row)
    row["state"] = _state(row)
    return row


async def _responses(conn: Any, consultation: Row) -> list[Row]:
    got = {
        r.region: dict(r._mapping)
        for r in await conn.execute(
            select(consultation_responses).where(
                consultation_responses.c.consultation_id == consultation["id"]
            )
        )
    }
    return [
        {
            "region": region,
            "views": got[region]["views"] if region in got else None,
            "responded_at": got[region]["responded_at"] if region in got else None,
        }
        for region in consultation["addressed_regions"]
    ]


def _state(consultation: Row) -> str:
    if consultation["summary_assessment_id"] is not None:
        return "concluded"
    return "open" if repo.now() < consultation["deadline"] else "past_deadline"
