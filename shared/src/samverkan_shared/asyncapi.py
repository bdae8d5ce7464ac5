"""Each service's AsyncAPI 3.0 document: FastStream's, with our contracts as the messages.

FastStream derives channels, operations, servers and Kafka bindings from the broker's
subscribers. Our subscribers take raw bytes (the consumer decodes the CloudEvent itself), so
FastStream knows no payload; the messages of each channel are filled in here from the contract
registry: every event type that travels on the topic, its JSON Schema and its CloudEvents
headers. Topics the service writes (the relay publishes from the outbox, which FastStream
cannot see) and the dead-letter topics beside each consumed topic are added as ``send``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse
from faststream.kafka import KafkaBroker
from faststream.specification import AsyncAPI, get_asyncapi_html
from pydantic.json_schema import models_json_schema

from samverkan_shared.contracts import EVENT_TYPES, Event
from samverkan_shared.registry import load_regions
from samverkan_shared.topics import (
    Direction,
    dead_letter,
    downstream,
    intake_errors,
    region_of_topic,
    upstream,
)

__all__ = ["asyncapi_router", "document", "events_on", "render", "written_topics"]

_REGION = "<region>"
_HEADERS = "CloudEventHeaders"
_DEAD_LETTER = "dead-letter"


def _template(cls: type[Event]) -> str:
    """The topic an event type travels on, with ``<region>`` in place of the region."""
    row = getattr(cls, "catalogue_row", None)
    if row is not None:
        return str(row[0]).strip("`")
    if cls.direction is Direction.UPSTREAM:
        return upstream(_REGION)
    return downstream(_REGION)


def events_on(topic: str) -> list[str]:
    """The event types the registry puts on a topic, in registry order."""
    region = region_of_topic(topic)
    return [t for t, cls in EVENT_TYPES.items() if _template(cls).replace(_REGION, region) == topic]


def written_topics(service: str) -> list[str]:
    """The dialogue topics a deployment writes (its principal's write ACLs, in production)."""
    if service == "national-council":
        return [downstream(r.code) for r in load_regions()]
    if service.startswith("regional-council."):
        region = service.removeprefix("regional-council.")
        return [upstream(region), intake_errors(region)]
    return []


@cache
def _contract_schemas() -> dict[str, Any]:
    _, top = models_json_schema(
        [(cls, "serialization") for cls in EVENT_TYPES.values()],
        ref_template="#/components/schemas/{model}",
    )
    return dict(top.get("$defs", {}))


def _headers_schema() -> dict[str, Any]:
    text = {"type": "string"}
    names = ["id", "source", "type", "subject", "time", "dataschema", "correlationid"]
    optional = ["causationid", "sequence", "partitionkey", "fanoutid", "keyid", "signature"]
    props: dict[str, Any] = {f"ce_{n}": text for n in ["specversion", *names, *optional]}
    props |= {n: text for n in ("traceparent", "tracestate", "ce_traceparent", "ce_tracestate")}
    props["content-type"] = {"type": "string", "const": "application/json"}
    return {
        "type": "object",
        "description": "CloudEvents 1.0 Kafka binding, binary content mode; "
        "traceparent/tracestate: W3C trace context of the span that emitted the event",
        "properties": props,
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type"],
    }


def _message(event_type: str) -> dict[str, Any]:
    cls = EVENT_TYPES[event_type]
    return {
        "name": event_type,
        "title": cls.__name__,
        "summary": (cls.__doc__ or "").strip().splitlines()[0],
        "contentType": "application/json",
        "correlationId": {"location": "$message.header#/ce_correlationid"},
        "headers": {"$ref": f"#/components/schemas/{_HEADERS}"},
        "payload": {"$ref": f"#/components/schemas/{cls.__name__}"},
        "bindings": {"kafka": {"key": {"type": "string", "description": cls.key_name}}},
    }


def _dead_letter_message() -> dict[str, Any]:
    return {
        "name": _DEAD_LETTER,
        "title": "Dead letter",
        "summary": "A record a consumer could not apply, unchanged, with dlq-* headers saying why",
        "headers": {
            "type": "object",
            "properties": {
                f"dlq-{n}": {"type": "string"}
                for n in ("reason", "error", "consumer", "topic", "partition", "offset", "at")
            },
        },
        "payload": {},
    }


@dataclass
class _Doc:
    doc: dict[str, Any]

    def channel(self, key: str, topic: str, names: list[str], description: str) -> None:
        self.doc["channels"][key] = {
            "address": topic,
            "description": description,
            "servers": [{"$ref": f"#/servers/{s}"} for s in self.doc.get("servers", {})],
            "messages": {n: {"$ref": f"#/components/messages/{n}"} for n in names},
            "bindings": {"kafka": {"topic": topic, "bindingVersion": "0.4.0"}},
        }

    def operation(self, key: str, action: str, channel: str, names: list[str]) -> None:
        self.doc["operations"][key] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "messages": [{"$ref": f"#/channels/{channel}/messages/{n}"} for n in names],
        }


def document(
    service: str, broker: KafkaBroker, *, title: str, description: str, version: str
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of one deployment, as a JSON-ready dict."""
    spec = AsyncAPI(
        broker, title=title, version=version, description=description, schema_version="3.0.0"
    ).to_specification()
    raw: dict[str, Any] = json.loads(spec.to_json())
    doc = _Doc({**raw, "channels": {}, "operations": {}})
    used: set[str] = set()
    consumed = [ch["address"] for ch in raw.get("channels", {}).values()]
    for topic in consumed:
        names = events_on(topic)
        used.update(names)
        doc.channel(topic, topic, names, f"{service} reads this topic")
        doc.operation(f"receive {topic}", "receive", topic, names)
    for topic in written_topics(service):
        names = events_on(topic)
        used.update(names)
        if topic not in doc.doc["channels"]:
            doc.channel(topic, topic, names, f"{service} is the only writer")
        doc.operation(f"send {topic}", "send", topic, names)
    for topic in consumed:
        doc.channel(dead_letter(topic), dead_letter(topic), [_DEAD_LETTER], f"parked by {service}")
        doc.operation(f"send {dead_letter(topic)}", "send", dead_letter(topic), [_DEAD_LETTER])
    messages = {n: _message(n) for n in EVENT_TYPES if n in used}
    if consumed:
        messages[_DEAD_LETTER] = _dead_letter_message()
    doc.doc["components"] = {
        "messages": messages,
        "schemas": {_HEADERS: _headers_schema(), **_contract_schemas()},
    }
    return doc.doc


def render(doc: dict[str, Any]) -> str:
    """Stable text for a committed document."""
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class _Rendered:
    """What FastStream's HTML page needs of a specification: a title and its JSON."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.title = str(doc.get("info", {}).get("title", "AsyncAPI"))
        self._json = json.dumps(doc, ensure_ascii=False)

    def to_json(self) -> str:
        return self._json


def asyncapi_router(build_document: Any) -> APIRouter:
    """``/asyncapi.json`` (the document) and ``/asyncapi`` (FastStream's page for people)."""
    router = APIRouter(tags=["docs"])
    cached: list[dict[str, Any]] = []

    def current() -> dict[str, Any]:
        if not cached:  # built on first request: every subscriber is registered by then
            cached.append(build_document())
        return cached[0]

    @router.get("/asyncapi.json", include_in_schema=False)
    async def asyncapi_json() -> JSONResponse:
        return JSONResponse(current())

    @router.get("/asyncapi", include_in_schema=False)
    async def asyncapi_page() -> HTMLResponse:
        html = get_asyncapi_html(_Rendered(current()), try_it_out_path=None)  # type: ignore[arg-type]
        return HTMLResponse(html)

    return router
