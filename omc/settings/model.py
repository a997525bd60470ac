"""The :class:`Settings` model: core fields, XDG defaults and one nested section per domain."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from omc.settings.floor import FloorSettings, NotifySettings
from omc.settings.lab import LabSettings
from omc.settings.ledgers import CatalystSettings, GlassSettings, HumanSettings
from omc.settings.sections import (
    BacktestSettings,
    CollectSettings,
    DaemonSettings,
    LLMSettings,
    MarketSettings,
)

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SUPPORTED_DATABASE_SCHEMES = {
    "sqlite": "sqlite",
    "sqlite+pysqlite": "sqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
}

DEFAULT_SYSTEM_CONFIG = Path("/etc/omc/config.toml")

SECRET_FIELD_MARKERS = ("key", "secret", "token", "password")


def xdg_data_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_DATA_HOME``, or ``~/.local/share`` when unset or empty (XDG base directory spec)."""
    value = environ.get("XDG_DATA_HOME")
    return Path(value) if value else Path.home() / ".local" / "share"


def xdg_config_home(environ: Mapping[str, str]) -> Path:
    """``$XDG_CONFIG_HOME``, or ``~/.config`` when unset or empty."""
    value = environ.get("XDG_CONFIG_HOME")
    return Path(value) if value else Path.home() / ".config"


class Settings(BaseSettings):
    """Everything omc can be configured with. Later domains add their own nested sections."""

    model_config = SettingsConfigDict(
        env_prefix="OMC_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    home: Path
    database_url: str | None = None
    redis_url: str | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    user: str | None = None
    llm: LLMSettings = LLMSettings()
    market: MarketSettings = MarketSettings()
    backtest: BacktestSettings = BacktestSettings()
    glass: GlassSettings = GlassSettings()
    human: HumanSettings = HumanSettings()
    catalyst: CatalystSettings = CatalystSettings()
    collect: CollectSettings = CollectSettings()
    daemon: DaemonSettings = DaemonSettings()
    floor: FloorSettings = FloorSettings()
    notify: NotifySettings = NotifySettings()
    lab: LabSettings = LabSettings()

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, *args, **kwargs):  # type: ignore[no-untyped-def]
        # load_settings() does the layering itself so it can say where each value came from.
        return (init_settings,)

    @field_validator("home", mode="before")
    @classmethod
    def _expand_home(cls, value: Any) -> Any:
        if isinstance(value, str | Path):
            return Path(value).expanduser().absolute()
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: Any) -> Any:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("database_url")
    @classmethod
    def _known_database_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        scheme = value.split("://", 1)[0].lower() if "://" in value else ""
        if scheme not in SUPPORTED_DATABASE_SCHEMES:
            raise ValueError(
                f"unsupported database URL scheme {scheme or value!r}; "
                "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
            )
        return SUPPORTED_DATABASE_SCHEMES[scheme] + value[len(scheme) :]

    @field_validator("redis_url")
    @classmethod
    def _known_redis_scheme(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("Redis URL must start with redis://, rediss:// or unix://")
        return value

    @property
    def effective_database_url(self) -> str:
        """The configured database URL, or the embedded SQLite file under ``home``."""
        return self.database_url or f"sqlite:///{self.home / 'omc.sqlite3'}"

    @property
    def is_embedded_database(self) -> bool:
        return self.effective_database_url.startswith("sqlite")
