"""The operating plan (verksamhetsplan): the year's focus areas, published to the regions.

Its focus areas join the area vocabulary here at once (``plan_areas``) and at each region when
it applies ``operating-plan.published``; see samverkan_shared.areas.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from national_council.adapters import repository as repo
from national_council.adapters.tables import operating_plans, plan_areas
from national_council.service_layer.transitions import emit_to
from samverkan_shared.areas import add_plan_areas, vocabulary
from samverkan_shared.contracts import OperatingPlanPublished
from samverkan_shared.contracts.downstream import FocusArea
from samverkan_shared.ids import new_id
from samverkan_shared.registry import load_areas, load_regions
from samverkan_shared.uow import Storage

__all__ = ["PlanCommands", "area_list", "list_plans"]

Row = dict[str, Any]


class PlanCommands:
    """Publishing the year's operating plan."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    async def publish(self, year: int, focus: list[tuple[str, str]], actor: str) -> Row:
        """A new version of the year's plan, to every region; new focus areas become valid."""
        regions = [r.code for r in load_regions()]
        at = repo.now()
        async with self.storage.unit_of_work() as uow:
            latest = (
                await uow.conn.execute(
                    select(func.max(operating_plans.c.version)).where(
                        operating_plans.c.year == year
                    )
                )
            ).scalar()
            row = {
                "year": year,
                "version": (latest or 0) + 1,
                "focus_areas": [{"code": c, "name": n} for c, n in focus],
                "addressed_regions": regions,
                "published_by": actor,
                "published_at": at,
            }
            await uow.conn.execute(operating_plans.insert().values(**row))
            await add_plan_areas(uow.conn, plan_areas, year, focus, at)
            event = OperatingPlanPublished(
                year=year,
                focus_areas=[FocusArea(code=c, name=n) for c, n in focus],
                addressed_regions=regions,
                published_at=at,
            )
            fanout = new_id()
            for region in regions:
                await emit_to(uow, region, event, None, fanout)
            await uow.commit()
        return row


async def list_plans(conn: Any) -> list[Row]:
    """Every published plan version, newest first."""
    query = select(operating_plans).order_by(
        operating_plans.c.year.desc(), operating_plans.c.version.desc()
    )
    return [dict(r._mapping) for r in await conn.execute(query)]


async def area_list(conn: Any) -> list[Row]:
    """The area vocabulary: base areas, then those the operating plans added."""
    base = {a.code for a in load_areas()}
    return [
        {"code": code, "name": name, "source": "base" if code in base else "operating-plan"}
        for code, name in (await vocabulary(conn, plan_areas)).items()
    ]
