"""Showing settings and secrets safely: URL passwords and keys masked."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel

from omc.settings.loading import LoadedSettings
from omc.settings.model import SECRET_FIELD_MARKERS


def mask_url(url: str | None) -> str | None:
    """Hide the password in a URL: ``postgresql://omc:***@host/db``."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def mask_webhook_url(url: str) -> str:
    """A webhook's path is its credential (Slack, Discord): show only where it goes,
    ``https://hooks.slack.com/…``."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/…" if parts.path.strip("/") else "", query=""))


def mask_secret(value: str) -> str:
    """The one way omc shows a secret: first 4 and last 6 characters (``AIza…440000``)."""
    if len(value) <= 12:
        return "…" if value else ""
    return f"{value[:4]}…{value[-6:]}"


def is_secret_name(name: str) -> bool:
    """Whether the setting ``name`` holds a secret (its last part says key, token, …)."""
    last = name.rsplit(".", 1)[-1]
    return not last.endswith("_url") and any(marker in last for marker in SECRET_FIELD_MARKERS)


def secret_file_warnings(loaded: LoadedSettings) -> list[str]:
    """One line per secret setting whose value comes from a config file (plaintext on disk)."""
    if loaded.files is None:
        return []
    files = {str(loaded.files.system), str(loaded.files.user)}
    return [
        f"warning: {name} is set in config file {origin}, which must not hold secrets: store "
        f"it with `omc collect keys set {name}` and delete it from the file"
        for name, origin in sorted(loaded.origins.items())
        if origin in files and is_secret_name(name)
    ]


def _display_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.endswith("webhook_url"):
        return mask_webhook_url(str(value))
    if name.endswith("_url"):
        return mask_url(str(value))
    if is_secret_name(name):
        return mask_secret(str(value))
    if isinstance(value, Path):
        return str(value)
    return value


def describe_settings(loaded: LoadedSettings) -> list[dict[str, Any]]:
    """Every effective setting, masked, with its origin, for ``omc config show``."""
    rows: list[dict[str, Any]] = []

    def walk(model: BaseModel, prefix: str) -> None:
        for name in type(model).model_fields:
            value = getattr(model, name)
            dotted = f"{prefix}{name}"
            if isinstance(value, BaseModel):
                walk(value, f"{dotted}.")
                continue
            rows.append(
                {
                    "name": dotted,
                    "value": _display_value(dotted, value),
                    "source": loaded.origin(dotted),
                }
            )

    walk(loaded.settings, "")
    settings = loaded.settings
    if settings.database_url is None:
        for row in rows:
            if row["name"] == "database_url":
                row["value"] = settings.effective_database_url
                row["source"] = "default (SQLite file in home)"
    return rows
