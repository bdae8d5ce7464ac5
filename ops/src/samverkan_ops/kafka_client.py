"""How the operator CLI reaches a broker: bootstrap servers and, in production, SASL/TLS."""

from __future__ import annotations

import os
from typing import Any

import typer

__all__ = ["BOOTSTRAP_ENV", "Bootstrap", "client_options"]

BOOTSTRAP_ENV = "SAMVERKAN_KAFKA_BOOTSTRAP_SERVERS"

Bootstrap = typer.Option(
    "127.0.0.1:9092",
    "--bootstrap",
    envvar=BOOTSTRAP_ENV,
    help="host:port[,host:port] of any Kafka broker (the services' own variable works too)",
)


def client_options(bootstrap: str) -> dict[str, Any]:
    """aiokafka client arguments; SASL/TLS from SAMVERKAN_KAFKA_SECURITY_PROTOCOL and friends.

    Production Kafka (Strimzi) wants SCRAM-SHA-512 over TLS; the variables are the ones an
    operator already sets for the services' principals.
    """
    options: dict[str, Any] = {"bootstrap_servers": bootstrap}
    protocol = os.environ.get("SAMVERKAN_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    options["security_protocol"] = protocol
    if protocol.startswith("SASL"):
        options["sasl_mechanism"] = os.environ.get(
            "SAMVERKAN_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"
        )
        options["sasl_plain_username"] = os.environ.get("SAMVERKAN_KAFKA_SASL_USERNAME")
        options["sasl_plain_password"] = os.environ.get("SAMVERKAN_KAFKA_SASL_PASSWORD")
    if protocol.endswith("SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(
            cafile=os.environ.get("SAMVERKAN_KAFKA_SSL_CAFILE")
        )
    return options
