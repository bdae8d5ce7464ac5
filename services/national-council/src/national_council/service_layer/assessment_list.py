"""Read-side lists of assessments and open drafts, for the web UI (and any other reader).

One row per assessment (its latest version, how many versions, issues answered,
acknowledgements of the latest version), newest first; and the drafts not yet published.
The national council publishes tens of assessments a year, not thousands, so the lists are
capped rather than paged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from national_council.adapters.tables import (
    acknowledgements,
    assessment_drafts,
    assessment_links,
    assessments,
)
from samverkan_shared.statemachine import NotFound

__all__ = ["MAX_ROWS", "assessment_summaries", "draft", "open_drafts"]

MAX_ROWS = 500
Row = dict[str, Any]


async def assessment_summaries(
    conn: AsyncConnection, text: str | None = None, limit: int = MAX_ROWS
) -> list[Row]:
    """Each assessment as its latest version, newest publication first.

    ``text`` keeps those whose latest title contains it (case-insensitive). Each row has the
    version's columns plus ``versions``, ``first_published_at``, ``answered`` (issues) and
    ``acknowledged`` (regions that confirmed the latest version).
    """
    span = (
        select(
            assessments.c.id,
            func.max(assessments.c.version).label("versions"),
            func.min(assessments.c.published_at).label("first_published_at"),
        )
        .group_by(assessments.c.id)
        .subquery()
    )
    answered = (
        select(assessment_links.c.assessment_id, func.count().label("n"))
        .group_by(assessment_links.c.assessment_id)
        .subquery()
    )
    acked = (
        select(
            acknowledgements.c.assessment_id, acknowledgements.c.version, func.count().label("n")
        )
        .group_by(acknowledgements.c.assessment_id, acknowledgements.c.version)
        .subquery()
    )
    query = (
        select(
            assessments,
            span.c.versions,
            span.c.first_published_at,
            func.coalesce(answered.c.n, 0).label("answered"),
            func.coalesce(acked.c.n, 0).label("acknowledged"),
        )
        .join(span, and_(span.c.id == assessments.c.id, span.c.versions == assessments.c.version))
        .outerjoin(answered, answered.c.assessment_id == assessments.c.id)
        .outerjoin(
            acked,
            and_(
                acked.c.assessment_id == assessments.c.id,
                acked.c.version == assessments.c.version,
            ),
        )
        .order_by(assessments.c.published_at.desc(), assessments.c.id)
        .limit(limit)
    )
    if text:
        query = query.where(func.lower(assessments.c.title).contains(text.lower(), autoescape=True))
    return [dict(r._mapping) for r in await conn.execute(query)]


async def open_drafts(conn: AsyncConnection, limit: int = MAX_ROWS) -> list[Row]:
    """Drafts not yet published (of new assessments and of revisions), last edited first."""
    query = (
        select(assessment_drafts)
        .where(assessment_drafts.c.published_version.is_(None))
        .order_by(assessment_drafts.c.updated_at.desc(), assessment_drafts.c.id)
        .limit(limit)
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def draft(conn: AsyncConnection, draft_id: str) -> Row:
    """One draft, published or not (NotFound if there is none)."""
    row = (
        await conn.execute(select(assessment_drafts).where(assessment_drafts.c.id == draft_id))
    ).first()
    if row is None:
        raise NotFound(f"assessment draft {draft_id} not found")
    return dict(row._mapping)
