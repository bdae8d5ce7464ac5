"""What operators watch is real: the dashboard's metrics are exposed, the AsyncAPI served is committed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Network
from tests.infra import eventually

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deploy" / "grafana" / "samverkan-overview.json"
ASYNCAPI = ROOT / "docs" / "asyncapi"
_SUFFIXES = ("", "_total", "_bucket", "_sum", "_count", "_created")


def _queried(dashboard: dict[str, Any]) -> set[str]:
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    return {m for e in exprs for m in re.findall(r"\bsamverkan_[a-z_]+\b", e)}


async def _exposed(network: Network) -> set[str]:
    names: set[str] = set()
    async with httpx.AsyncClient(timeout=10) as client:
        for name in network.specs:
            text = (await client.get(f"{network.url(name)}/metrics")).text
            for family in text_string_to_metric_families(text):
                names.update(family.name + s for s in _SUFFIXES)
                names.update(s.name for s in family.samples)
    return names


async def test_every_metric_the_dashboard_queries_is_exposed(network: Network) -> None:
    queried = _queried(json.loads(DASHBOARD.read_text(encoding="utf-8")))
    assert {"samverkan_consumer_lag", "samverkan_outbox_backlog"} <= queried
    assert queried - await _exposed(network) == set()


async def test_consumer_lag_is_reported_per_assigned_partition(network: Network) -> None:
    async def lag_series() -> list[str]:
        async with httpx.AsyncClient(timeout=10) as client:
            text = (await client.get(f"{network.url('national-council')}/metrics")).text
        return [line for line in text.splitlines() if line.startswith("samverkan_consumer_lag{")]

    series = await eventually(lag_series, bool, what="lag series")
    assert any('topic="samverkan.norra.upstream"' in s for s in series), series
    assert all(float(s.rsplit(" ", 1)[1]) >= 0 for s in series)


def _comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "servers"}  # the broker address differs


async def test_each_service_serves_the_committed_asyncapi_document(network: Network) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        for name in network.specs:
            served = (await client.get(f"{network.url(name)}/asyncapi.json")).json()
            committed = json.loads((ASYNCAPI / f"{name}.json").read_text(encoding="utf-8"))
            assert _comparable(served) == _comparable(committed), (
                f"{name}: docs/asyncapi is stale; run `make asyncapi`"
            )
            page = await client.get(f"{network.url(name)}/asyncapi")
            assert page.status_code == 200 and "AsyncApiStandalone" in page.text


def test_channels_carry_the_contract_schemas() -> None:
    national = json.loads((ASYNCAPI / "national-council.json").read_text(encoding="utf-8"))
    upstream = national["channels"]["samverkan.norra.upstream"]["messages"]
    assert "se.samverkan.issue.escalated.v1" in upstream
    message = national["components"]["messages"]["se.samverkan.issue.escalated.v1"]
    schema = national["components"]["schemas"][message["payload"]["$ref"].rsplit("/", 1)[1]]
    assert {"issue_id", "region", "title", "areas"} <= set(schema["required"])
    sends = {
        op["channel"]["$ref"] for op in national["operations"].values() if op["action"] == "send"
    }
    assert "#/channels/samverkan.norra.downstream" in sends
