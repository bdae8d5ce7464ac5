"""Every Kustomize base and overlay renders, and validates against Kubernetes and Strimzi."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from samverkan_shared.registry import load_regions
from tests.deploy.tools import ROOT, k8s_errors, kustomize, strimzi_errors

K8S = ROOT / "deploy" / "k8s"
KUSTOMIZATIONS = sorted(p.parent for p in K8S.rglob("kustomization.yaml"))


def _strimzi(doc: dict[str, Any]) -> bool:
    return str(doc["apiVersion"]).startswith("kafka.strimzi.io/")


@pytest.fixture(scope="module")
def rendered() -> dict[Path, list[dict[str, Any]]]:
    return {folder: kustomize(folder) for folder in KUSTOMIZATIONS}


def test_every_base_and_region_overlay_is_there() -> None:
    names = {p.relative_to(K8S).as_posix() for p in KUSTOMIZATIONS}
    expected = {f"base/{s}" for s in ("national-council", "regional-council", "notifications")}
    expected |= {f"overlays/regional-council/{r.code}" for r in load_regions()}
    assert expected | {".", "kafka"} <= names


def test_every_core_resource_validates_against_the_kubernetes_schema(
    rendered: dict[Path, list[dict[str, Any]]],
) -> None:
    problems = {
        f"{folder.relative_to(K8S)}: {doc['kind']}/{doc['metadata']['name']}": errors
        for folder, docs in rendered.items()
        for doc in docs
        if not _strimzi(doc) and (errors := k8s_errors(doc))
    }
    assert problems == {}
    assert sum(len(docs) for docs in rendered.values()) > 60


def test_every_strimzi_resource_validates_against_the_strimzi_crds() -> None:
    docs = [d for d in kustomize(K8S) if _strimzi(d)]
    results = strimzi_errors(docs)
    assert [(name, errors) for name, errors in results if errors] == []
    kinds = {name.split("/")[0] for name, _ in results}
    assert kinds == {"KafkaTopic", "KafkaUser"}


def _deployments(rendered: dict[Path, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    return [d for d in rendered[K8S] if d["kind"] == "Deployment"]


def test_the_network_has_one_regional_deployment_per_region(
    rendered: dict[Path, list[dict[str, Any]]],
) -> None:
    names = {d["metadata"]["name"] for d in _deployments(rendered)}
    regional = {f"regional-council-{r.code}" for r in load_regions()}
    assert names == {"national-council", "notifications"} | regional
    config = {d["metadata"]["name"]: d["data"] for d in rendered[K8S] if d["kind"] == "ConfigMap"}
    for region in load_regions():
        [data] = [
            v for k, v in config.items() if k.startswith(f"regional-council-config-{region.code}-")
        ]
        assert data["SAMVERKAN_REGION"] == region.code
        assert data["SAMVERKAN_KAFKA_SASL_USERNAME"] == f"regional-council-{region.code}"


def test_deployments_probe_limit_and_run_as_non_root(
    rendered: dict[Path, list[dict[str, Any]]],
) -> None:
    for dep in _deployments(rendered):
        pod = dep["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        [app] = pod["containers"]
        assert app["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert app["livenessProbe"]["httpGet"]["path"] == "/healthz"
        [migrate] = pod["initContainers"]
        assert migrate["args"] == ["migrate"] and migrate["image"] == app["image"]
        for container in (app, migrate):
            assert set(container["resources"]) == {"requests", "limits"}
            assert container["securityContext"]["allowPrivilegeEscalation"] is False
            env = {e["name"]: e for e in container["env"]}
            # Secrets by reference only: no literal token or database URL in a manifest.
            assert "valueFrom" in env["SAMVERKAN_API_TOKEN"]
            assert "valueFrom" in env["SAMVERKAN_DATABASE_URL"]


def test_a_broken_deployment_is_refused(rendered: dict[Path, list[dict[str, Any]]]) -> None:
    dep = copy.deepcopy(_deployments(rendered)[0])
    assert k8s_errors(dep) == []
    dep["spec"]["replicas"] = "two"
    assert k8s_errors(dep)
    typo = copy.deepcopy(_deployments(rendered)[0])
    typo["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    assert k8s_errors(typo)


def test_a_broken_strimzi_user_is_refused() -> None:
    user = next(d for d in kustomize(K8S / "kafka") if d["kind"] == "KafkaUser")
    broken = copy.deepcopy(user)
    broken["spec"]["authentication"]["type"] = "scram-sha-999"
    no_ops = copy.deepcopy(user)
    del no_ops["spec"]["authorization"]["acls"][0]["operations"]
    fine, bad_auth, bad_acl = (errors for _, errors in strimzi_errors([user, broken, no_ops]))
    assert fine == []
    assert any("authentication/type" in e for e in bad_auth)
    assert any("operations" in e for e in bad_acl)


def test_a_broken_kustomization_is_refused(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")
    with pytest.raises(ValueError, match=r"missing\.yaml"):
        kustomize(tmp_path)
