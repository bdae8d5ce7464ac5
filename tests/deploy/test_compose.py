"""The compose file: valid for Docker Compose and the Compose Specification, and complete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from samverkan_shared.registry import load_regions
from samverkan_shared.topics import all_topics
from tests.deploy.tools import ROOT, compose_config_errors, compose_schema_errors

COMPOSE = ROOT / "deploy" / "compose" / "compose.yaml"
ENV = {
    "SAMVERKAN_API_TOKEN": "a-real-token",
    "POSTGRES_PASSWORD": "a-real-password",
    "SAMVERKAN_LINK_SECRET": "a-real-link-secret",
}


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    doc: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    found: dict[str, Any] = doc["services"]
    return found


def test_docker_compose_accepts_the_file() -> None:
    assert compose_config_errors(COMPOSE, ENV) == ""


def test_the_file_validates_against_the_compose_specification() -> None:
    assert compose_schema_errors(COMPOSE) == ""


def test_compose_refuses_to_start_without_secrets() -> None:
    for secret in ENV:
        assert secret in compose_config_errors(
            COMPOSE, {k: v for k, v in ENV.items() if k != secret}
        )


def test_a_broken_compose_file_is_refused(tmp_path: Path) -> None:
    broken = yaml.safe_load(COMPOSE.read_text())
    broken["services"]["national-council"]["depends_on"]["no-such-job"] = {
        "condition": "service_completed_successfully"
    }
    path = tmp_path / "compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    assert "no-such-job" in compose_config_errors(path, ENV)
    broken["services"]["kafka"]["ports"] = {"9094": 9094}  # a mapping where a list belongs
    path.write_text(yaml.safe_dump(broken))
    assert compose_schema_errors(path)


def test_kafka_runs_in_kraft_mode_from_the_official_image(services: dict[str, Any]) -> None:
    kafka = services["kafka"]
    assert kafka["image"].startswith("apache/kafka:")
    assert set(kafka["environment"]["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}


def test_every_registry_topic_is_created_by_the_topics_job(services: dict[str, Any]) -> None:
    script = services["topics"]["command"][0]
    for spec in all_topics():
        assert f"--topic {spec.name} --partitions {spec.partitions}" in script


def test_one_regional_service_per_region_each_after_its_migration(
    services: dict[str, Any],
) -> None:
    apps = ["national-council", "notifications"]
    apps += [f"regional-council-{r.code}" for r in load_regions()]
    for name in apps:
        migration = services[f"migrate-{name}"]
        assert migration["command"] == ["migrate"]
        assert services[name]["depends_on"][f"migrate-{name}"] == {
            "condition": "service_completed_successfully"
        }
        assert services[name]["environment"]["SAMVERKAN_MIGRATE_ON_START"] == "false"
    for region in load_regions():
        env = services[f"regional-council-{region.code}"]["environment"]
        assert env["SAMVERKAN_REGION"] == region.code
    dbs = services["postgres"]["environment"]["SAMVERKAN_DATABASES"].split()
    assert len(set(dbs)) == len(apps)
    assert services["notifications"]["environment"]["SAMVERKAN_SMTP_HOST"] == "mailpit"
