"""Settings: documented in one generated table per service, and no default secret in production."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from samverkan_ops.settings_docs import SERVICES, documents, settings_class
from tests.deploy.tools import ROOT

BIN = Path(sys.executable).parent
# Used only in development (the admin account created at start); production never reads it.
DEVELOPMENT_ONLY = {"dev_admin_password"}


def test_the_committed_tables_match_the_settings_classes() -> None:
    for path, text in documents().items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, "run `make settings-docs`"


def test_every_setting_has_a_row() -> None:
    for service in SERVICES:
        text = documents()[Path(f"docs/settings/{service}.md")]
        for name in settings_class(service).model_fields:
            assert f"| `SAMVERKAN_{name.upper()}` |" in text


def _required(service: str) -> dict[str, Any]:
    """Valid values for the settings a service cannot start without."""
    values: dict[str, dict[str, Any]] = {
        "national-council": {"key_registry_file": Path("/keys/registry.json")},
        "regional-council": {
            "region": "norra",
            "signing_key_id": "norra-1",
            "signing_key_file": Path("/keys/norra.key"),
        },
        "notifications": {},
    }
    return values[service]


def _default_secrets(service: str) -> list[str]:
    cls = settings_class(service)
    return [
        name
        for name, field in cls.model_fields.items()
        if field.annotation is SecretStr and name not in DEVELOPMENT_ONLY
    ]


@pytest.mark.parametrize("service", list(SERVICES))
def test_production_refuses_every_secret_left_at_its_default(service: str) -> None:
    cls = settings_class(service)
    secrets = _default_secrets(service)
    assert "api_token" in secrets
    real: dict[str, Any] = {name: SecretStr(f"a-real-{name}") for name in secrets}
    cls(environment="production", **_required(service), **real)  # all set: it starts
    for name in secrets:
        others = {k: v for k, v in real.items() if k != name}
        with pytest.raises(ValidationError, match=f"SAMVERKAN_{name.upper()}"):
            cls(environment="production", **_required(service), **others)


def _serve(service: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("SAMVERKAN_")}
    return subprocess.Popen(
        [str(BIN / service), "serve"],
        env=clean | {"COLUMNS": "200"} | env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_each_service_refuses_to_start_without_its_secrets(tmp_path: Path) -> None:
    """The real command line, all at once (each start imports a whole service)."""
    runs = {
        service: _serve(
            service,
            {"SAMVERKAN_ENVIRONMENT": "production"}
            | {f"SAMVERKAN_{k.upper()}": str(v) for k, v in _required(service).items()},
            tmp_path,
        )
        for service in SERVICES
    }
    unsigned = _serve(
        "regional-council", {"SAMVERKAN_REGION": "norra", "SAMVERKAN_API_TOKEN": "t"}, tmp_path
    )
    for service, run in runs.items():
        _, err = run.communicate(timeout=60)
        assert run.returncode == 2, (service, err)
        assert "SAMVERKAN_API_TOKEN must be set in production" in err, service
    _, err = unsigned.communicate(timeout=60)
    assert unsigned.returncode == 2
    assert "SAMVERKAN_SIGNING_KEY_FILE" in err and "SAMVERKAN_SIGNING_KEY_ID" in err


def test_an_idle_fetch_wait_below_the_busy_one_is_refused_naming_both() -> None:
    cls = settings_class("regional-council")
    with pytest.raises(ValidationError) as caught:
        cls(**_required("regional-council"), kafka_fetch_max_wait_ms=300)
    message = str(caught.value)
    assert "SAMVERKAN_KAFKA_IDLE_FETCH_MAX_WAIT_MS (200)" in message
    assert "SAMVERKAN_KAFKA_FETCH_MAX_WAIT_MS (300)" in message
