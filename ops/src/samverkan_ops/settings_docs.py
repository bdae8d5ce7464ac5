"""One generated table of settings per service (docs/settings/<service>.md), from its class.

``samverkan settings-docs write`` regenerates them; ``check`` fails when they are stale.
A setting whose class gives no description must get one here, or generation fails: every
setting is documented.
"""

from __future__ import annotations

import enum
import importlib
import json
import types
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings
from rich.console import Console
from rich.table import Table

__all__ = ["SERVICES", "documents", "settings_class", "settings_docs_app"]

SERVICES = {
    "national-council": "national_council.settings:NationalSettings",
    "regional-council": "regional_council.settings:RegionalSettings",
    "notifications": "notifications.settings:NotificationSettings",
}
FOLDER = Path("docs/settings")

# For settings whose class says nothing; the class's own description wins.
FALLBACK = {
    "http_host": "Address the HTTP server binds to (the container image sets 0.0.0.0)",
    "http_port": "HTTP port (the container image sets 8000)",
    "database_url": "SQLAlchemy async URL of the service's own database; "
    "`postgresql+asyncpg://user:password@host/db` in production",
    "kafka_session_timeout_ms": "Consumer group session timeout: a member silent this long "
    "loses its partitions",
    "kafka_heartbeat_interval_ms": "How often a consumer tells the group it is alive",
    "environment": "`production` refuses development secrets and logs JSON",
    "log_level": "DEBUG, INFO, WARNING or ERROR",
    "smtp_host": "Mail relay that delivers for us",
    "smtp_port": "Port of the mail relay",
    "smtp_username": "User name at the mail relay (no authentication when unset)",
    "smtp_password": "Password at the mail relay",
    "smtp_timeout_seconds": "Give up on one SMTP conversation after this long",
    "mail_from": "Sender address of every mail",
    "webhook_timeout_seconds": "Give up on one webhook request after this long",
    "claim_batch": "Deliveries a sender claims from the database at once",
    "sender_idle_poll_seconds": "How often an idle sender looks for due deliveries",
    "retry_max_delay_seconds": "Retries back off up to this delay",
    "digest_timezone": "IANA time zone of the digest hour, e.g. Europe/Stockholm",
}

settings_docs_app = typer.Typer(
    help="Generated tables of every service's settings (docs/settings/).",
    no_args_is_help=True,
)


def settings_class(service: str) -> type[BaseSettings]:
    """The service's settings class, imported by name (ops does not depend on services)."""
    module, name = SERVICES[service].split(":")
    cls: type[BaseSettings] = getattr(importlib.import_module(module), name)
    return cls


def _type(annotation: Any) -> str:
    origin, args = get_origin(annotation), get_args(annotation)
    if origin in (Union, types.UnionType) and type(None) in args:
        inner = [_type(a) for a in args if a is not type(None)]
        return " or ".join(inner) + " (optional)"
    if origin is Literal:
        return "one of " + ", ".join(f"`{a}`" for a in args)
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return "one of " + ", ".join(f"`{m.value}`" for m in annotation)
    if origin is dict:
        return "JSON object"
    if origin is list:
        return "JSON array"
    names = {SecretStr: "secret", bool: "boolean", int: "integer", float: "number", str: "text"}
    names[Path] = "file path"
    return names.get(annotation, getattr(annotation, "__name__", str(annotation)))


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {str(_plain(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, Path):
        return str(value)
    return value


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    value = _plain(field.get_default(call_default_factory=True))
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, dict):
        return f"`{json.dumps(value)}`"
    return f"`{value}`"


def _constraints(field: FieldInfo) -> str:
    symbols = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    found = []
    for item in field.metadata:
        for attr, symbol in symbols.items():
            if getattr(item, attr, None) is not None:
                found.append(f"{symbol} {getattr(item, attr)}")
    return ", ".join(found)


def _description(name: str, field: FieldInfo, service: str) -> str:
    text = field.description or FALLBACK.get(name)
    if not text:
        raise ValueError(
            f"{service}: setting {name!r} has no description; add one to its Field() "
            "or to samverkan_ops.settings_docs.FALLBACK"
        )
    return text.replace("|", "\\|")


def table(service: str) -> str:
    """The Markdown document of one service's settings."""
    cls = settings_class(service)
    prefix = str(cls.model_config.get("env_prefix", ""))
    rows = []
    for name, field in sorted(cls.model_fields.items()):
        kind = _type(field.annotation)
        if limits := _constraints(field):
            kind += f" ({limits})"
        rows.append(
            f"| `{prefix}{name.upper()}` | {kind} | {_default(field)} "
            f"| {_description(name, field, service)} |"
        )
    return "\n".join(
        [
            f"# {service}: settings",
            "",
            "<!-- Generated by `make settings-docs` from "
            f"`{SERVICES[service].replace(':', '.')}`; a test fails when it is stale. -->",
            "",
            "Every setting is an environment variable. The container image sets "
            "`SAMVERKAN_ENVIRONMENT=production`, `SAMVERKAN_HTTP_HOST=0.0.0.0`, "
            "`SAMVERKAN_HTTP_PORT=8000` and `SAMVERKAN_MIGRATE_ON_START=false`. In production "
            "a service refuses to start while a secret still has its development default.",
            "",
            "| variable | type | default | description |",
            "| --- | --- | --- | --- |",
            *rows,
            "",
        ]
    )


def documents() -> dict[Path, str]:
    """docs/settings/<service>.md for every service."""
    return {FOLDER / f"{service}.md": table(service) for service in SERVICES}


def _stale(root: Path) -> list[Path]:
    return [
        p
        for p, text in documents().items()
        if not (root / p).exists() or (root / p).read_text(encoding="utf-8") != text
    ]


RootOption = typer.Option(Path("."), "--root", help="Repository root")


@settings_docs_app.command()
def write(root: Path = RootOption) -> None:
    """Regenerate docs/settings/<service>.md."""
    for path, text in documents().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    Console().print(f"[green]{len(SERVICES)} settings tables written to {FOLDER}/[/green]")


@settings_docs_app.command()
def check(root: Path = RootOption) -> None:
    """Exit 1 when a settings table differs from its class."""
    stale = _stale(root)
    if stale:
        table_ = Table("file", title="Settings docs are stale (run make settings-docs)")
        for path in stale:
            table_.add_row(str(path))
        Console(stderr=True).print(table_)
        raise typer.Exit(1)
    Console().print("[green]settings docs match the settings classes[/green]")
