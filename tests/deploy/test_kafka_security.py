"""The settings the Kubernetes manifests set select TLS + SCRAM-SHA-512 for the broker client.

(Tansu cannot create SCRAM users, so no broker here checks the password itself.)
"""

from __future__ import annotations

import pytest
from faststream.security import SASLScram512
from pydantic import SecretStr

from samverkan_shared.kafka_security import broker_security
from samverkan_shared.settings import KafkaSettings


def test_plaintext_has_no_security() -> None:
    assert broker_security(KafkaSettings()) is None


def test_sasl_ssl_uses_scram_sha_512_over_tls() -> None:
    settings = KafkaSettings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_username="regional-council-norra",
        kafka_sasl_password=SecretStr("from-the-strimzi-secret"),
    )
    security = broker_security(settings)
    assert isinstance(security, SASLScram512)
    assert security.username == "regional-council-norra"
    assert security.password == "from-the-strimzi-secret"
    assert security.use_ssl is True and security.ssl_context is not None


def test_sasl_without_a_password_names_the_settings() -> None:
    settings = KafkaSettings(kafka_security_protocol="SASL_SSL", kafka_sasl_username="x")
    with pytest.raises(ValueError, match="SAMVERKAN_KAFKA_SASL_PASSWORD"):
        broker_security(settings)
