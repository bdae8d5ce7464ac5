"""HTTP routes for assessments (drafts, publication, revisions), consultations and the plan.

Reading needs the reader role; writing needs assessor (entrypoints.access).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from national_council.adapters import repository as repo
from national_council.adapters.tables import assessment_drafts, assessments
from national_council.entrypoints.access import Assessor, Reader
from national_council.entrypoints.responses import (
    AreaOut,
    AssessmentDetailOut,
    AssessmentVersionOut,
    ConsultationOut,
    DraftOut,
    OperatingPlanOut,
    PublishedAssessmentOut,
)
from national_council.entrypoints.schemas import (
    AssessmentIn,
    ConsultationIn,
    ConsultationSummaryIn,
    DraftEditIn,
    OperatingPlanIn,
    RevisionIn,
)
from national_council.service_layer.assessments import AssessmentCommands, NewAssessment
from national_council.service_layer.consultations import (
    ConsultationCommands,
    consultation_detail,
    list_consultations,
)
from national_council.service_layer.plans import PlanCommands, area_list, list_plans
from samverkan_shared.http import IdPath
from samverkan_shared.statemachine import NotFound
from samverkan_shared.uow import Storage

__all__ = ["build_dialogue_router"]


def _new(body: AssessmentIn, change_note: str | None = None) -> NewAssessment:
    return NewAssessment(
        body.title,
        body.summary,
        body.recommendation,
        list(body.areas),
        list(dict.fromkeys(body.regions)),
        list(dict.fromkeys(body.answers)),
        change_note,
    )


def build_dialogue_router(
    storage: Storage,
    assessments_cmd: AssessmentCommands,
    consultations_cmd: ConsultationCommands,
    plans_cmd: PlanCommands,
) -> APIRouter:
    """Assessments, drafts, consultations, operating plans and the area list."""
    router = APIRouter()

    @router.post(
        "/assessments", status_code=201, response_model=PublishedAssessmentOut, tags=["assessments"]
    )
    async def publish(body: AssessmentIn, staff: Assessor) -> dict[str, Any]:
        """Publish an assessment at once to one, several or all regions."""
        return await assessments_cmd.publish(_new(body), staff.username)

    @router.get("/assessments", response_model=list[AssessmentVersionOut], tags=["assessments"])
    async def list_assessments(_: Reader) -> list[dict[str, Any]]:
        """Every published version, newest first."""
        async with storage.engine.connect() as conn:
            rows = await conn.execute(
                select(assessments).order_by(
                    assessments.c.published_at.desc(), assessments.c.version.desc()
                )
            )
            return [dict(r._mapping) for r in rows]

    @router.get(
        "/assessments/{assessment_id}", response_model=AssessmentDetailOut, tags=["assessments"]
    )
    async def get_assessment(assessment_id: IdPath, _: Reader) -> dict[str, Any]:
        """Versions, answered issues and acknowledgements of an assessment."""
        async with storage.engine.connect() as conn:
            return await repo.assessment_detail(conn, assessment_id)

    @router.post(
        "/assessments/{assessment_id}/revisions",
        status_code=201,
        response_model=PublishedAssessmentOut,
        tags=["assessments"],
    )
    async def revise(assessment_id: IdPath, body: RevisionIn, staff: Assessor) -> dict[str, Any]:
        """Publish the next version at once; regions keep both versions."""
        new = _new(body, body.change_note)
        draft = await assessments_cmd.create_draft(new, staff.username, revises=assessment_id)
        return await assessments_cmd.publish_draft(draft["id"], staff.username)

    @router.post(
        "/assessment-drafts", status_code=201, response_model=DraftOut, tags=["assessments"]
    )
    async def draft(body: AssessmentIn, staff: Assessor) -> dict[str, Any]:
        """Start a draft of a new assessment."""
        return await assessments_cmd.create_draft(_new(body), staff.username)

    @router.post(
        "/assessments/{assessment_id}/drafts",
        status_code=201,
        response_model=DraftOut,
        tags=["assessments"],
    )
    async def draft_revision(
        assessment_id: IdPath, body: RevisionIn, staff: Assessor
    ) -> dict[str, Any]:
        """Start a draft of the assessment's next version."""
        new = _new(body, body.change_note)
        return await assessments_cmd.create_draft(new, staff.username, revises=assessment_id)

    @router.get("/assessment-drafts", response_model=list[DraftOut], tags=["assessments"])
    async def drafts(_: Reader) -> list[dict[str, Any]]:
        """Unpublished drafts, most recently edited first."""
        async with storage.engine.connect() as conn:
            rows = await conn.execute(
                select(assessment_drafts)
                .where(assessment_drafts.c.published_version.is_(None))
                .order_by(assessment_drafts.c.updated_at.desc())
            )
            return [dict(r._mapping) for r in rows]

    @router.get("/assessment-drafts/{draft_id}", response_model=DraftOut, tags=["assessments"])
    async def get_draft(draft_id: IdPath, _: Reader) -> dict[str, Any]:
        """One draft."""
        async with storage.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(assessment_drafts).where(assessment_drafts.c.id == draft_id)
                )
            ).first()
        if row is None:
            raise NotFound(f"assessment draft {draft_id} not found")
        return dict(row._mapping)

    @router.put("/assessment-drafts/{draft_id}", response_model=DraftOut, tags=["assessments"])
    async def edit(draft_id: IdPath, body: DraftEditIn, staff: Assessor) -> dict[str, Any]:
        """Replace a draft's content (a revision's draft needs its change_note)."""
        new = _new(body, body.change_note)
        return await assessments_cmd.edit_draft(draft_id, new, staff.username)

    @router.post(
        "/assessment-drafts/{draft_id}/publish",
        status_code=201,
        response_model=PublishedAssessmentOut,
        tags=["assessments"],
    )
    async def publish_draft(draft_id: IdPath, staff: Assessor) -> dict[str, Any]:
        """Publish the draft as the assessment's next version, in one transaction."""
        return await assessments_cmd.publish_draft(draft_id, staff.username)

    @router.post(
        "/consultations", status_code=201, response_model=ConsultationOut, tags=["consultations"]
    )
    async def open_consultation(body: ConsultationIn, staff: Assessor) -> dict[str, Any]:
        """Ask regions (all if none named) for their views by a deadline."""
        opened = await consultations_cmd.open(
            body.question, list(body.areas), list(body.regions), body.deadline, staff.username
        )
        async with storage.engine.connect() as conn:
            return await consultation_detail(conn, opened["id"])

    @router.get("/consultations", response_model=list[ConsultationOut], tags=["consultations"])
    async def consultations(_: Reader) -> list[dict[str, Any]]:
        """Every consultation, newest first, with the views received so far."""
        async with storage.engine.connect() as conn:
            return await list_consultations(conn)

    @router.get(
        "/consultations/{consultation_id}", response_model=ConsultationOut, tags=["consultations"]
    )
    async def consultation(consultation_id: IdPath, _: Reader) -> dict[str, Any]:
        """A consultation with every addressed region's views side by side."""
        async with storage.engine.connect() as conn:
            return await consultation_detail(conn, consultation_id)

    @router.post(
        "/consultations/{consultation_id}/summary",
        status_code=201,
        response_model=PublishedAssessmentOut,
        tags=["consultations"],
    )
    async def conclude(
        consultation_id: IdPath, body: ConsultationSummaryIn, staff: Assessor
    ) -> dict[str, Any]:
        """After the deadline: publish the outcome as an assessment to the consulted regions."""
        summary = NewAssessment(body.title, body.summary, body.recommendation, list(body.areas))
        return await consultations_cmd.conclude(consultation_id, summary, staff.username)

    @router.post(
        "/operating-plans",
        status_code=201,
        response_model=OperatingPlanOut,
        tags=["operating plan"],
    )
    async def publish_plan(body: OperatingPlanIn, staff: Assessor) -> dict[str, Any]:
        """Publish the year's focus areas to every region; new codes become valid areas."""
        focus = [(f.code, f.name) for f in body.focus_areas]
        return await plans_cmd.publish(body.year, focus, staff.username)

    @router.get("/operating-plans", response_model=list[OperatingPlanOut], tags=["operating plan"])
    async def plans(_: Reader) -> list[dict[str, Any]]:
        """Every published plan version, newest first."""
        async with storage.engine.connect() as conn:
            return await list_plans(conn)

    @router.get("/areas", response_model=list[AreaOut], tags=["operating plan"])
    async def areas(_: Reader) -> list[dict[str, Any]]:
        """Every valid area: the base list and what operating plans added."""
        async with storage.engine.connect() as conn:
            return await area_list(conn)

    return router
