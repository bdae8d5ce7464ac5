"""One escalation is one trace: regional HTTP request → national consumer → notifications.

The services export over OTLP/HTTP (configured only by the standard OTEL_* variables) to a real
HTTP receiver in the test, which decodes the protobuf exports as a collector would.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from devstack.broker import Tansu, free_port
from devstack.stack import Stack, free_base_port, network_specs
from samverkan_shared.kafka import ensure_topics
from samverkan_shared.registry import load_regions
from samverkan_shared.settings import DEV_API_TOKEN
from samverkan_shared.topics import all_topics
from samverkan_shared.tracing import configure_tracing
from tests.infra import eventually, fresh_databases, postgres_admin_dsn


@dataclass(frozen=True)
class ReceivedSpan:
    """One exported span, as a collector would store it."""

    service: str
    trace_id: str
    span_id: str
    parent_span_id: str
    name: str
    kind: int
    attributes: dict[str, str]


class Receiver:
    """``POST /v1/traces`` (application/x-protobuf) on a free port, in a background thread."""

    def __init__(self) -> None:
        self.spans: list[ReceivedSpan] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if self.path != "/v1/traces":
                    self.send_response(404)
                    self.end_headers()
                    return
                receiver._collect(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        """The value for OTEL_EXPORTER_OTLP_ENDPOINT."""
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def _collect(self, body: bytes) -> None:
        request = ExportTraceServiceRequest.FromString(body)
        out = []
        for resource_spans in request.resource_spans:
            attrs = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
            for scope in resource_spans.scope_spans:
                for span in scope.spans:
                    out.append(
                        ReceivedSpan(
                            service=attrs.get("service.name", ""),
                            trace_id=span.trace_id.hex(),
                            span_id=span.span_id.hex(),
                            parent_span_id=span.parent_span_id.hex(),
                            name=span.name,
                            kind=span.kind,
                            attributes={
                                a.key: a.value.string_value or str(a.value.int_value)
                                for a in span.attributes
                            },
                        )
                    )
        with self._lock:
            self.spans.extend(out)

    def snapshot(self) -> list[ReceivedSpan]:
        """The spans received so far."""
        with self._lock:
            return list(self.spans)

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.server.shutdown()
        self.server.server_close()


SERVICES = ["national-council", "regional-council.norra", "notifications"]
SERVER, CONSUMER = 2, 5  # OTLP span kinds
ESCALATION = {
    "title": "Spårad eskalering",
    "summary": "En eskalering som ska gå att följa genom hela kedjan.",
    "areas": ["clinical-placement"],
    "reason_not_regional": "Beslutas nationellt.",
    "requested_outcome": "En nationell bedömning.",
}


@contextmanager
def kafka_bootstrap_own() -> Iterator[str]:
    """A broker of this module's own: its consumer groups must not meet the session network's."""
    broker = Tansu(port=free_port()).start()
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="module")
def postgres_admin() -> Iterator[str]:
    with postgres_admin_dsn() as dsn:
        yield dsn


@dataclass
class TracedNetwork:
    receiver: Receiver
    urls: dict[str, str]


@pytest.fixture(scope="module")
def traced(
    postgres_admin: str, mail: tuple[object, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TracedNetwork]:
    """National, norra and notifications on a broker of their own, exporting traces."""
    _store, smtp_port = mail
    with (
        Receiver() as receiver,
        kafka_bootstrap_own() as bootstrap,
        fresh_databases(postgres_admin, SERVICES) as databases,
    ):
        asyncio.run(ensure_topics(bootstrap, all_topics()))
        specs = [
            s
            for s in network_specs(
                bootstrap=bootstrap,
                database_url=lambda name: databases.get(name, ""),
                smtp_port=smtp_port,
                keys=tmp_path_factory.mktemp("keys"),
                base_port=free_base_port(len(load_regions())),
                extra_env={
                    "SAMVERKAN_KAFKA_SESSION_TIMEOUT_MS": "6000",
                    "SAMVERKAN_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
                    "OTEL_TRACES_EXPORTER": "otlp",
                    "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint,
                    "OTEL_BSP_SCHEDULE_DELAY": "200",
                },
            )
            if s.name in SERVICES
        ]
        stack = Stack(Path(tmp_path_factory.mktemp("traced-logs")))
        for spec in specs:
            stack.start(spec)
        try:
            stack.wait_ready(timeout=120)
            yield TracedNetwork(receiver, {s.name: s.url for s in specs})
        finally:
            stack.stop_all()


async def test_one_escalation_is_one_trace_across_three_services(traced: TracedNetwork) -> None:
    headers = {"Authorization": f"Bearer {DEV_API_TOKEN}"}
    async with httpx.AsyncClient(headers=headers, timeout=10) as client:
        created = await client.post(
            f"{traced.urls['regional-council.norra']}/escalations", json=ESCALATION
        )
        assert created.status_code == 201, created.text
    subject = f"issues/{created.json()['id']}"

    def about_it(spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
        return [s for s in spans if s.attributes.get("cloudevents.event_subject") == subject]

    def complete(spans: list[ReceivedSpan]) -> bool:
        consumers = {(s.service, s.attributes["cloudevents.event_type"]) for s in about_it(spans)}
        return {
            ("national-council", "se.samverkan.issue.escalated.v1"),
            ("notifications", "se.samverkan.issue.escalated.v1"),
            ("notifications", "se.samverkan.escalation.received.v1"),
            ("regional-council.norra", "se.samverkan.escalation.received.v1"),
        } <= consumers

    spans = await eventually(
        lambda: _snapshot(traced.receiver), complete, timeout=30, what="consumer spans exported"
    )
    [request] = [
        s
        for s in spans
        if s.service == "regional-council.norra"
        and s.kind == SERVER
        and s.name == "POST /escalations"
    ]
    # Every hop of the escalation continues the trace the regional HTTP request started …
    assert {s.trace_id for s in about_it(spans)} == {request.trace_id}
    assert {s.service for s in about_it(spans)} == set(SERVICES)
    # … and the national consumer descends from exactly that request's span.
    [national] = [
        s for s in about_it(spans) if s.service == "national-council" and s.kind == CONSUMER
    ]
    parents = {s.span_id: s.parent_span_id for s in spans}
    ancestors, at = [], national.parent_span_id
    while at:
        ancestors.append(at)
        at = parents.get(at, "")
    assert request.span_id in ancestors  # via FastAPI's endpoint span, inside the request
    assert national.attributes["messaging.destination.name"] == "samverkan.norra.upstream"


async def _snapshot(receiver: Receiver) -> list[ReceivedSpan]:
    return receiver.snapshot()


def test_tracing_is_off_unless_an_exporter_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    assert configure_tracing("probe") is False
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "none")
    assert configure_tracing("probe") is False
