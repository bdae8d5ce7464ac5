"""Kustomize bases (one per service), overlays (one per region) and the network kustomization.

Generated rather than hand-written so that probes, security context and resources are the
same for every service, and the overlays follow the region registry.
"""

from __future__ import annotations

from typing import Any

from samverkan_ops.strimzi import CLUSTER, regional_principal
from samverkan_shared.registry import load_regions

__all__ = [
    "IMAGE_TAG",
    "SERVICES",
    "base_files",
    "kafka_kustomization",
    "network_kustomization",
    "region_overlay_files",
]

SERVICES = ("national-council", "regional-council", "notifications")
IMAGE_TAG = "0.1.0"
PORT = 8000
UID = 10001
KUSTOMIZATION = {"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization"}
SECRETS = "/var/run/samverkan"

# What every service needs from the cluster it runs in (Strimzi's listener on 9093 is TLS +
# SCRAM-SHA-512; the cluster CA certificate is in a Secret Strimzi maintains).
_COMMON_CONFIG = {
    "SAMVERKAN_ENVIRONMENT": "production",
    "SAMVERKAN_LOG_FORMAT": "json",
    "SAMVERKAN_MIGRATE_ON_START": "false",  # the init container migrates first
    "SAMVERKAN_HTTP_HOST": "0.0.0.0",
    "SAMVERKAN_HTTP_PORT": str(PORT),
    "SAMVERKAN_KAFKA_BOOTSTRAP_SERVERS": f"{CLUSTER}-kafka-bootstrap:9093",
    "SAMVERKAN_KAFKA_IDEMPOTENT_PRODUCER": "true",
    "SAMVERKAN_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
    "SAMVERKAN_KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
    "SAMVERKAN_KAFKA_SSL_CAFILE": f"{SECRETS}/kafka-ca/ca.crt",
}

_SERVICE_CONFIG: dict[str, dict[str, str]] = {
    "national-council": {
        "SAMVERKAN_KAFKA_SASL_USERNAME": "national-council",
        "SAMVERKAN_KEY_REGISTRY_FILE": f"{SECRETS}/key-registry/registry.json",
    },
    "regional-council": {
        "SAMVERKAN_SIGNING_KEY_FILE": f"{SECRETS}/signing/signing.key",
    },
    "notifications": {
        "SAMVERKAN_KAFKA_SASL_USERNAME": "notifications",
        "SAMVERKAN_SMTP_HOST": "smtp-relay",
        "SAMVERKAN_SMTP_PORT": "25",
        "SAMVERKAN_MAIL_FROM": "samverkan@example.org",
    },
}


def _labels(service: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": service, "app.kubernetes.io/part-of": "samverkan"}


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _env(service: str, deployment: str) -> list[dict[str, Any]]:
    """Secrets by reference: ``<deployment>-app`` (ours), ``<deployment>`` (Strimzi's)."""
    app_secret = f"{deployment}-app"
    env = [
        _secret_env("SAMVERKAN_API_TOKEN", app_secret, "api-token"),
        _secret_env("SAMVERKAN_DATABASE_URL", app_secret, "database-url"),
        # Strimzi's User Operator writes the SCRAM password to a Secret named like the user.
        _secret_env("SAMVERKAN_KAFKA_SASL_PASSWORD", deployment, "password"),
    ]
    if service == "regional-council":
        env.append(_secret_env("SAMVERKAN_SIGNING_KEY_ID", f"{deployment}-signing", "key-id"))
    if service == "notifications":  # signs the unsubscribe and feed links in mail
        env.append(_secret_env("SAMVERKAN_LINK_SECRET", app_secret, "link-secret"))
    return env


def _volumes(service: str, deployment: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}},
        {"name": "kafka-ca", "secret": {"secretName": f"{CLUSTER}-cluster-ca-cert"}},
    ]
    mounts: list[dict[str, Any]] = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "kafka-ca", "mountPath": f"{SECRETS}/kafka-ca", "readOnly": True},
    ]
    if service == "regional-council":
        volumes.append(
            {
                "name": "signing",
                "secret": {"secretName": f"{deployment}-signing", "defaultMode": 0o400},
            }
        )
        mounts.append({"name": "signing", "mountPath": f"{SECRETS}/signing", "readOnly": True})
    if service == "national-council":
        volumes.append({"name": "key-registry", "configMap": {"name": "samverkan-key-registry"}})
        mounts.append(
            {"name": "key-registry", "mountPath": f"{SECRETS}/key-registry", "readOnly": True}
        )
    return volumes, mounts


def _probe(path: str, period: int, failures: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": "http"},
        "periodSeconds": period,
        "timeoutSeconds": 5,
        "failureThreshold": failures,
    }


_RESOURCES = {
    "requests": {"cpu": "100m", "memory": "192Mi"},
    "limits": {"cpu": "1", "memory": "384Mi"},
}
_MIGRATE_RESOURCES = {
    "requests": {"cpu": "50m", "memory": "128Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}
_CONTAINER_SECURITY = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
}


def _container(service: str, name: str, args: list[str], **extra: Any) -> dict[str, Any]:
    _, mounts = _volumes(service, service)
    return {
        "name": name,
        "image": f"samverkan/{service}",
        "imagePullPolicy": "IfNotPresent",
        "args": args,
        "envFrom": [{"configMapRef": {"name": f"{service}-config"}}],
        "env": _env(service, service),
        "securityContext": _CONTAINER_SECURITY,
        "volumeMounts": mounts,
        **extra,
    }


def deployment(service: str) -> dict[str, Any]:
    """The service's Deployment: migrate (init container), then serve."""
    labels = _labels(service)
    volumes, _ = _volumes(service, service)
    app = _container(
        service,
        "app",
        ["serve"],
        ports=[{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        startupProbe=_probe("/healthz", 2, 60),
        livenessProbe=_probe("/healthz", 20, 3),
        readinessProbe=_probe("/readyz", 10, 3),
        resources=_RESOURCES,
    )
    migrate = _container(service, "migrate", ["migrate"], resources=_MIGRATE_RESOURCES)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": service, "labels": labels},
        "spec": {
            "replicas": 1,
            "revisionHistoryLimit": 5,
            # A new pod must be ready before the old one stops: consumers hand partitions over.
            "strategy": {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0},
            },
            "selector": {"matchLabels": {"app.kubernetes.io/name": service}},
            "template": {
                "metadata": {
                    "labels": labels,
                    "annotations": {
                        "prometheus.io/scrape": "true",
                        "prometheus.io/port": str(PORT),
                        "prometheus.io/path": "/metrics",
                    },
                },
                "spec": {
                    "automountServiceAccountToken": False,
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {
                        "runAsNonRoot": True,
                        "runAsUser": UID,
                        "runAsGroup": UID,
                        "fsGroup": UID,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                    "initContainers": [migrate],
                    "containers": [app],
                    "volumes": volumes,
                },
            },
        },
    }


def service_resource(service: str) -> dict[str, Any]:
    """A ClusterIP Service in front of the HTTP port."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": service, "labels": _labels(service)},
        "spec": {
            "type": "ClusterIP",
            "selector": {"app.kubernetes.io/name": service},
            "ports": [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def base_files(service: str) -> dict[str, Any]:
    """File name → document(s) of a service's base."""
    config = {**_COMMON_CONFIG, **_SERVICE_CONFIG[service]}
    kustomization = {
        **KUSTOMIZATION,
        "labels": [{"pairs": {"app.kubernetes.io/part-of": "samverkan"}}],
        "resources": ["deployment.yaml", "service.yaml"],
        "configMapGenerator": [
            {"name": f"{service}-config", "literals": [f"{k}={v}" for k, v in config.items()]}
        ],
        "images": [{"name": f"samverkan/{service}", "newTag": IMAGE_TAG}],
    }
    return {
        "kustomization.yaml": kustomization,
        "deployment.yaml": deployment(service),
        "service.yaml": service_resource(service),
    }


def _region_patch(region: str) -> dict[str, Any]:
    """Point the regional base at this region's Secrets (kustomize renames only its own)."""
    deployment = regional_principal(region)  # the Deployment's and the KafkaUser's name
    container = {"env": _env("regional-council", deployment)}
    volumes, _ = _volumes("regional-council", deployment)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "regional-council"},
        "spec": {
            "template": {
                "spec": {
                    "initContainers": [{"name": "migrate", **container}],
                    "containers": [{"name": "app", **container}],
                    "volumes": [v for v in volumes if v["name"] == "signing"],
                }
            }
        },
    }


def region_overlay_files(region: str) -> dict[str, Any]:
    """File name → document of one region's overlay of the regional-council base."""
    kustomization = {
        **KUSTOMIZATION,
        "resources": ["../../../base/regional-council"],
        "nameSuffix": f"-{region}",
        "labels": [{"pairs": {"samverkan.se/region": region}, "includeSelectors": True}],
        "configMapGenerator": [
            {
                "name": "regional-council-config",
                "behavior": "merge",
                "literals": [
                    f"SAMVERKAN_REGION={region}",
                    f"SAMVERKAN_KAFKA_SASL_USERNAME={regional_principal(region)}",
                ],
            }
        ],
        "patches": [{"path": "secrets-patch.yaml"}],
    }
    return {"kustomization.yaml": kustomization, "secrets-patch.yaml": _region_patch(region)}


def kafka_kustomization() -> dict[str, Any]:
    """The Strimzi resources (topics and users) as one kustomization."""
    return {**KUSTOMIZATION, "resources": ["topics.yaml", "users.yaml"]}


def network_kustomization() -> dict[str, Any]:
    """Everything: topics, users, national, notifications and one regional per region."""
    regions = [f"overlays/regional-council/{r.code}" for r in load_regions()]
    return {
        **KUSTOMIZATION,
        "namespace": "samverkan",
        "resources": [
            "kafka",
            "base/national-council",
            "base/notifications",
            *regions,
        ],
    }
