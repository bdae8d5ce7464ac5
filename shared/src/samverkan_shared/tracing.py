"""OpenTelemetry tracing: W3C trace context from the HTTP request, through Kafka, to the consumer.

Off by default. ``OTEL_TRACES_EXPORTER`` (``otlp``, ``console``, comma-separated; ``none`` or
unset: off) turns exporting on; the exporter itself reads the other standard variables
(``OTEL_EXPORTER_OTLP_ENDPOINT``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``, ``…_HEADERS``,
``OTEL_BSP_SCHEDULE_DELAY``…) and ``OTEL_SERVICE_NAME`` / ``OTEL_RESOURCE_ATTRIBUTES`` name
the service. With exporting off, incoming context is still passed on, so a traced caller's
trace continues through an untraced hop.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

__all__ = [
    "TRACE_HEADERS",
    "configure_tracing",
    "consumer_span",
    "current_trace_context",
    "http_telemetry",
    "shutdown_tracing",
    "tracing_off",
]

TRACE_HEADERS = ("traceparent", "tracestate")
"""W3C Trace Context header names; also the CloudEvents distributed-tracing extension names."""

_TRACER = "samverkan"
_configured: list[Any] = []  # the SDK provider, once configured in this process


def _exporters() -> list[str]:
    if os.environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return []
    raw = os.environ.get("OTEL_TRACES_EXPORTER", "none")
    return [n.strip().lower() for n in raw.split(",") if n.strip() and n.strip() != "none"]


def configure_tracing(service_name: str) -> bool:
    """Install the SDK with the exporters the environment asks for; False when tracing is off."""
    names = _exporters()
    if not names or _configured:
        return bool(_configured)
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

    # OTEL_SERVICE_NAME (Resource.create reads it) wins over the deployment's own name.
    own = {} if os.environ.get("OTEL_SERVICE_NAME") else {SERVICE_NAME: service_name}
    provider = TracerProvider(resource=Resource.create(own))
    for name in names:
        if name == "otlp":
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
        elif name == "console":
            provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
        else:
            raise ValueError(f"OTEL_TRACES_EXPORTER: unknown exporter {name!r} (otlp, console)")
    trace.set_tracer_provider(provider)
    _configured.append(provider)
    return True


def shutdown_tracing() -> None:
    """Flush and stop the exporters (at process end: the batch would otherwise be lost)."""
    for provider in _configured:
        provider.shutdown()


def _tracer() -> trace.Tracer:
    return trace.get_tracer(_TRACER)


def current_trace_context() -> dict[str, str]:
    """The current span's ``traceparent``/``tracestate``, to travel with an emitted event."""
    # No span to continue (tracing off, or a batch consumer outside any span): nothing to
    # carry, without asking every propagator for it once per emitted event.
    if not trace.get_current_span().get_span_context().is_valid:
        return {}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return {k: v for k, v in carrier.items() if k in TRACE_HEADERS}


def tracing_off() -> bool:
    """No tracer provider was set in this process: spans are not recorded, only passed on."""
    return isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


@contextlib.contextmanager
def consumer_span(
    carrier: Mapping[str, str], *, topic: str, consumer: str, attributes: Mapping[str, Any]
) -> Iterator[trace.Span]:
    """A CONSUMER span, child of the context the event was emitted in."""
    parent = propagate.extract(dict(carrier))
    with _tracer().start_as_current_span(
        f"process {topic}",
        context=parent,
        kind=SpanKind.CONSUMER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "process",
            "messaging.destination.name": topic,
            "messaging.consumer.group.name": consumer,
            **attributes,
        },
    ) as span:
        yield span


_UNTRACED = frozenset({"/metrics", "/healthz", "/readyz"})


def http_telemetry() -> dict[str, Any]:
    """FastAPI's own OpenTelemetry settings: SERVER spans, not for probes and scrapes.

    FastAPI (0.165+) makes the request span itself, continuing the caller's ``traceparent``,
    once a tracer provider is configured; probes and scrapes would drown the traces.
    """
    return {"exclude": lambda scope: scope.get("path") in _UNTRACED}
