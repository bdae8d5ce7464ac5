"""How a service authenticates to the broker: plaintext locally, TLS + SCRAM in production."""

from __future__ import annotations

import ssl

from faststream.security import (
    BaseSecurity,
    SASLPlaintext,
    SASLScram256,
    SASLScram512,
)

from samverkan_shared.settings import KafkaSettings

__all__ = ["broker_security"]

_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


def broker_security(settings: KafkaSettings) -> BaseSecurity | None:
    """FastStream's security object for the configured protocol (None for PLAINTEXT)."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    tls = protocol in ("SSL", "SASL_SSL")
    context = ssl.create_default_context(cafile=settings.kafka_ssl_cafile) if tls else None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    if settings.kafka_sasl_username is None or settings.kafka_sasl_password is None:
        raise ValueError(
            "SAMVERKAN_KAFKA_SASL_USERNAME and SAMVERKAN_KAFKA_SASL_PASSWORD must be set "
            f"for {protocol}"
        )
    mechanism = _SASL[settings.kafka_sasl_mechanism]
    return mechanism(
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=context,
        use_ssl=tls,
    )
