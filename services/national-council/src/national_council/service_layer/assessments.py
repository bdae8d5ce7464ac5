"""Assessments: drafted, edited, published in one transaction with the issues they answer, revised.

Publishing version 1 or a revision is one transaction: the version row, the links, every
answered issue moved to ``assessed`` (audited), and one event per addressed region (one
``fanoutid``). Answering an issue answers every open issue linked with it, and the regions of
answered issues are always addressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import func, select, update

from national_council.adapters import repository as repo
from national_council.adapters.tables import (
    assessment_drafts,
    assessment_links,
    assessments,
    issues,
    plan_areas,
)
from national_council.domain.model import OPEN_STATES, NationalState, fingerprint
from national_council.service_layer.transitions import emit_to, move
from samverkan_shared.areas import check_areas
from samverkan_shared.contracts import AssessmentPublished, AssessmentRevised
from samverkan_shared.contracts.base import AssessmentRef
from samverkan_shared.ids import new_id
from samverkan_shared.registry import load_regions
from samverkan_shared.statemachine import Conflict, InvalidInput, NotFound
from samverkan_shared.uow import Storage, UnitOfWork

__all__ = ["AssessmentCommands", "NewAssessment"]

Row = dict[str, Any]


@dataclass(frozen=True)
class NewAssessment:
    """A national assessment as staff write it (a draft, or published at once)."""

    title: str
    summary: str
    recommendation: str
    areas: list[str]
    regions: list[str] = field(default_factory=list)  # empty means every region
    answers: list[str] = field(default_factory=list)  # national issue ids it answers
    change_note: str | None = None  # required when revising


class AssessmentCommands:
    """Drafts, publication and revision of national assessments."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def publish(self, new: NewAssessment, actor: str) -> Row:
        """Publish version 1 at once (a draft made and published in one step)."""
        draft = await self.create_draft(new, actor)
        return await self.publish_draft(draft["id"], actor)

    async def create_draft(self, new: NewAssessment, actor: str, revises: str | None = None) -> Row:
        """A draft of a new assessment, or (``revises``) of the next version of one."""
        async with self.storage.unit_of_work() as uow:
            await self._validate(uow, new)
            version = None
            if revises is not None:
                version = (await _latest(uow, revises))["version"]
                _require_change_note(new)
            at = repo.now()
            row = {
                "id": new_id(),
                "assessment_id": revises or new_id(),
                "revises": version,
                **_content(new),
                "created_by": actor,
                "created_at": at,
                "updated_by": actor,
                "updated_at": at,
                "published_version": None,
            }
            await uow.conn.execute(assessment_drafts.insert().values(**row))
            await uow.commit()
        return row

    async def edit_draft(self, draft_id: str, new: NewAssessment, actor: str) -> Row:
        """Replace a draft's content; a published draft is history and stays as it was."""
        async with self.storage.unit_of_work() as uow:
            draft = await _draft(uow, draft_id)
            await self._validate(uow, new)
            if draft["revises"] is not None:
                _require_change_note(new)
            values = {**_content(new), "updated_by": actor, "updated_at": repo.now()}
            await uow.conn.execute(
                update(assessment_drafts).where(assessment_drafts.c.id == draft_id).values(**values)
            )
            await uow.commit()
        return {**draft, **values}

    async def publish_draft(self, draft_id: str, actor: str) -> Row:
        """Publish a draft as the assessment's next version, in one transaction."""
        async with self.storage.unit_of_work() as uow:
            draft = await _draft(uow, draft_id)
            result = await self._publish(uow, draft, actor)
            await uow.conn.execute(
                update(assessment_drafts)
                .where(assessment_drafts.c.id == draft_id)
                .values(published_version=result["version"])
            )
            await uow.commit()
        return result

    async def _validate(self, uow: UnitOfWork, new: NewAssessment) -> None:
        await check_areas(uow.conn, plan_areas, new.areas)
        for i, issue_id in enumerate(new.answers):
            if (await uow.conn.execute(select(issues.c.id).where(issues.c.id == issue_id))).first():
                continue
            raise InvalidInput(("body", "answers", i), f"no issue {issue_id} in the queue")

    async def _publish(self, uow: UnitOfWork, draft: Row, actor: str) -> Row:
        assessment_id = draft["assessment_id"]
        previous = await _latest(uow, assessment_id) if draft["revises"] is not None else None
        if previous is not None and previous["version"] != draft["revises"]:
            raise Conflict(
                f"assessment {assessment_id} is at version {previous['version']}; this draft "
                f"revises version {draft['revises']}"
            )
        version = 1 if previous is None else previous["version"] + 1
        answered = await self._answer(uow, assessment_id, draft["answers"], actor)
        linked = await _linked(uow, assessment_id)
        regions = _addressed(draft["regions"], previous, linked)
        at = repo.now()
        digest = fingerprint(
            draft["title"], draft["summary"], draft["recommendation"], draft["areas"]
        )
        await uow.conn.execute(
            assessments.insert().values(
                id=assessment_id,
                version=version,
                title=draft["title"],
                summary=draft["summary"],
                recommendation=draft["recommendation"],
                areas=draft["areas"],
                addressed_regions=regions,
                fingerprint=digest,
                change_note=draft["change_note"] if previous else None,
                published_by=actor,
                published_at=at,
            )
        )
        common: dict[str, Any] = {
            "assessment_id": UUID(assessment_id),
            "assessment_version": version,
            "title": draft["title"],
            "summary": draft["summary"],
            "recommendation": draft["recommendation"],
            "areas": draft["areas"],
            "addressed_regions": regions,
            "answers": [
                AssessmentRef(region=i["region"], issue_id=UUID(i["regional_issue_id"]))
                for i in linked
            ],
            "fingerprint": digest,
            "published_at": at,
        }
        event = (
            AssessmentPublished(**common)
            if previous is None
            else AssessmentRevised(**common, change_note=draft["change_note"])
        )
        fanout = new_id()
        for region in regions:
            await emit_to(uow, region, event, None, fanout)
        return {
            "id": assessment_id,
            "version": version,
            "fingerprint": digest,
            "addressed_regions": regions,
            "answers": [i["id"] for i in linked],
            "newly_answered": [i["id"] for i in answered],
        }

    async def _answer(
        self, uow: UnitOfWork, assessment_id: str, issue_ids: list[str], actor: str
    ) -> list[Row]:
        """Link and move to assessed the named issues and the open issues linked with them."""
        answered: list[Row] = []
        seen: set[str] = set()
        for issue_id in issue_ids:
            named = await repo.get_issue(uow.conn, issue_id, lock=True)
            if named["state"] not in OPEN_STATES:
                raise Conflict(
                    f"issue {issue_id} is '{named['state']}'; only an open issue can be answered"
                )
            group = [named, *await _group(uow, named)]
            for issue in group:
                if issue["id"] in seen or issue["state"] not in OPEN_STATES:
                    continue
                seen.add(issue["id"])
                await uow.conn.execute(
                    assessment_links.insert().values(
                        assessment_id=assessment_id, issue_id=issue["id"]
                    )
                )
                reason = f"answered by assessment {assessment_id}"
                answered.append(await move(uow, issue, NationalState.ASSESSED, actor, reason))
        return answered


def _require_change_note(new: NewAssessment) -> None:
    if not new.change_note:
        raise InvalidInput(("body", "change_note"), "a revision says what changed")


def _content(new: NewAssessment) -> Row:
    return {
        "title": new.title,
        "summary": new.summary,
        "recommendation": new.recommendation,
        "areas": list(dict.fromkeys(new.areas)),
        "regions": list(dict.fromkeys(new.regions)),
        "answers": list(dict.fromkeys(new.answers)),
        "change_note": new.change_note,
    }


def _addressed(regions: list[str], previous: Row | None, linked: list[Row]) -> list[str]:
    """The named regions (all if none), earlier versions' regions, answered issues' regions."""
    everyone = [r.code for r in load_regions()]
    named = set(regions) if regions else set(everyone) if previous is None else set()
    named |= set(previous["addressed_regions"]) if previous else set()
    named |= {i["region"] for i in linked}
    return [r for r in everyone if r in named]


async def _draft(uow: UnitOfWork, draft_id: str) -> Row:
    query = select(assessment_drafts).where(assessment_drafts.c.id == draft_id)
    if uow.conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = (await uow.conn.execute(query)).first()
    if row is None:
        raise NotFound(f"assessment draft {draft_id} not found")
    draft = dict(row._mapping)
    if draft["published_version"] is not None:
        raise Conflict(
            f"draft {draft_id} is 'published' (version {draft['published_version']}); "
            "revise the assessment instead"
        )
    return draft


async def _latest(uow: UnitOfWork, assessment_id: str) -> Row:
    version = (
        await uow.conn.execute(
            select(func.max(assessments.c.version)).where(assessments.c.id == assessment_id)
        )
    ).scalar()
    if version is None:
        raise NotFound(f"assessment {assessment_id} not found")
    row = (
        await uow.conn.execute(
            select(assessments).where(
                assessments.c.id == assessment_id, assessments.c.version == version
            )
        )
    ).one()
    return dict(row._mapping)


async def _group(uow: UnitOfWork, issue: Row) -> list[Row]:
    if issue["link_group"] is None:
        return []
    rows = await uow.conn.execute(
        select(issues)
        .where(issues.c.link_group == issue["link_group"], issues.c.id != issue["id"])
        .order_by(issues.c.received_at)
    )
    return [dict(r._mapping) for r in rows]


async def _linked(uow: UnitOfWork, assessment_id: str) -> list[Row]:
    """Every issue the assessment answers (all versions), oldest first."""
    rows = await uow.conn.execute(
        select(issues)
        .join(assessment_links, assessment_links.c.issue_id == issues.c.id)
        .where(assessment_links.c.assessment_id == assessment_id)
        .order_by(issues.c.received_at)
    )
    return [dict(r._mapping) for r in rows]
