"""Typed settings, built by one function from layered sources, with where each value came from.

Lookup order, lowest to highest precedence:

1. built-in defaults
2. the system file ``/etc/omc/config.toml`` (``OMC_SYSTEM_CONFIG`` overrides the path)
3. the user file ``$XDG_CONFIG_HOME/omc/config.toml`` (``OMC_CONFIG`` overrides the path)
4. environment variables ``OMC_*`` (nested sections use ``__``: ``OMC_COLLECT__INTERVAL``)
5. command-line flags, passed to :func:`load_settings` as ``overrides``

Nothing here connects to anything; building settings only reads files and the environment.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

from omc.backtest.costs import (
    COINSPOT_INSTANT_FEE_RATE,
    DEFAULT_MINIMUM_ORDER_VALUE,
    DEFAULT_SLIPPAGE_BPS,
)
from omc.errors import ConfigProblem

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


class SectionModel(BaseModel):
    """Base for the nested settings sections later domains add (``[collect]``, ``[floor]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LLMSettings(SectionModel):
    """``[llm]``: the system default model, request limits and per-session budgets (BYOM).

    The system default's API key is never a setting: it is read from the provider's usual
    environment variable (``GOOGLE_API_KEY``, ``OPENAI_API_KEY``, ``ANTHROPIC_API_KEY``).
    """

    system_default_provider: Literal["google", "openai", "anthropic", "openai-compatible"] = (
        "google"
    )
    system_default_model: str = "gemini-2.5-flash"
    system_default_base_url: str | None = None
    request_timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=2, ge=0)
    session_call_limit: int = Field(default=100, ge=1)
    session_cost_limit_usd: Decimal | None = Decimal("10")
    validations_per_hour: int = Field(default=10, ge=1)


class MarketSettings(SectionModel):
    """``[market]``: the price collector, backfill sources and their base URLs (tests point these
    at loopback servers)."""

    watchlist: Annotated[list[str], NoDecode] = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC"]
    poll_seconds: float = 60.0
    coinspot_url: str = "https://www.coinspot.com.au/pubapi/v2"
    coinspot_requests_per_minute: int = 1000
    coingecko_url: str = "https://api.coingecko.com/api/v3"
    coingecko_api_key: str | None = None
    binance_url: str = "https://api.binance.com"
    http_timeout_seconds: float = 10.0
    http_attempts: int = 4
    latest_ttl_seconds: float = 900.0

    @field_validator("watchlist", mode="before")
    @classmethod
    def _split_watchlist(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        if isinstance(value, list):
            return [str(part).strip().upper() for part in value]
        return value


class BacktestSettings(SectionModel):
    """``[backtest]``: the costs and starting cash `omc backtest` uses unless told otherwise."""

    # CoinSpot's instant buy/sell fee: 1% of the order value, GST included. Source: a real
    # `ro/my/transactions` fill quoted in ccxt's coinspot.py (shared/research/external-apis.md):
    # audfeeExGst 1.80018002 + audGst 0.180018 on 198.01980198 of coin is exactly 1%. Limit
    # orders on CoinSpot's order book are cheaper; set 0.001 here if that is how you trade.
    fee_rate: float = Field(default=COINSPOT_INSTANT_FEE_RATE, ge=0.0, lt=0.1)
    slippage_bps: float = Field(default=DEFAULT_SLIPPAGE_BPS, ge=0.0, lt=1000.0)
    # CoinSpot refuses tiny orders but our sources do not state the floor: none by default.
    minimum_order_value: float = Field(default=DEFAULT_MINIMUM_ORDER_VALUE, ge=0.0)
    initial_cash: float = Field(default=10_000.0, gt=0.0)


class CollectSettings(SectionModel):
    """``[collect]``: which sources the collector daemon runs, how often, and its backoff.

    ``intervals`` maps a source name to seconds and overrides the source's own interval
    (``OMC_COLLECT__INTERVALS='{"coinspot": 30}'``); ``disabled`` names sources the daemon
    skips; ``source_modules`` names extra modules that register sources (plug-ins).
    """

    disabled: Annotated[list[str], NoDecode] = []
    intervals: dict[str, float] = {}
    source_modules: Annotated[list[str], NoDecode] = []
    backoff_max_seconds: float = 1800.0
    stale_factor: float = 3.0

    @field_validator("disabled", "source_modules", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("intervals")
    @classmethod
    def _positive_intervals(cls, value: dict[str, float]) -> dict[str, float]:
        for name, seconds in value.items():
            if seconds <= 0:
                raise ValueError(f"interval of {name} must be more than 0 seconds")
        return value


class DaemonSettings(SectionModel):
    """``[daemon]``: heartbeats, the stop bound, logging and the optional metrics endpoint."""

    heartbeat_seconds: float = 15.0
    stop_timeout_seconds: float = 20.0
    max_workers: int = 8
    log_format: Literal["text", "json"] = "text"
    log_to_file: bool = False
    log_max_bytes: int = 10_000_000
    log_backups: int = 5
    metrics_port: int | None = None


# The ledger sections subclass SectionModel, so they are imported once it exists.
from omc.settings_ledgers import CatalystSettings, GlassSettings, HumanSettings  # noqa: E402


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


@dataclass(frozen=True)
class ConfigFiles:
    """Where omc looks for configuration files."""

    system: Path
    user: Path

    @classmethod
    def locate(cls, environ: Mapping[str, str]) -> ConfigFiles:
        system = Path(environ.get("OMC_SYSTEM_CONFIG") or DEFAULT_SYSTEM_CONFIG)
        user = Path(environ.get("OMC_CONFIG") or xdg_config_home(environ) / "omc" / "config.toml")
        return cls(system=system, user=user)


@dataclass(frozen=True)
class LoadedSettings:
    """Settings together with the source of every value that is not a default."""

    settings: Settings
    origins: dict[str, str] = field(default_factory=dict)
    files: ConfigFiles | None = None

    def origin(self, name: str) -> str:
        return self.origins.get(name, "default")


def read_config_file(path: Path) -> dict[str, Any]:
    """Parse one TOML config file; a missing file is empty, a corrupt one is a clear error."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except IsADirectoryError as error:
        raise ConfigProblem(f"config file {path} is a directory, not a file") from error
    except PermissionError as error:
        raise ConfigProblem(f"cannot read config file {path}: permission denied") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigProblem(f"config file {path} is not valid TOML: {error}") from error
    except UnicodeDecodeError as error:
        raise ConfigProblem(f"config file {path} is not UTF-8 text") from error


def _merge(
    target: dict[str, Any], layer: Mapping[str, Any], origins: dict[str, str], label: str, prefix=""
) -> None:
    for key, value in layer.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, Mapping) and isinstance(target.get(key), dict):
            _merge(target[key], value, origins, label, prefix=f"{dotted}.")
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value
            origins[dotted] = label
            if isinstance(value, Mapping):
                for nested in _flatten(value, f"{dotted}."):
                    origins[nested] = label


def _flatten(mapping: Mapping[str, Any], prefix: str) -> list[str]:
    keys = []
    for key, value in mapping.items():
        if isinstance(value, Mapping):
            keys.extend(_flatten(value, f"{prefix}{key}."))
        else:
            keys.append(f"{prefix}{key}")
    return keys


def _environment_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    source = EnvSettingsSource(Settings)
    source.env_vars = {key.lower(): value for key, value in environ.items()}
    return source()


def _describe_validation_error(error: ValidationError, origins: dict[str, str]) -> str:
    problems = []
    for item in error.errors():
        name = ".".join(str(part) for part in item["loc"])
        where = origins.get(name, "default")
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown setting"
        problems.append(f"{name} ({where}): {message}")
    return "invalid settings: " + "; ".join(problems)


def load_settings(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> LoadedSettings:
    """Build the effective settings from defaults, files, environment and flags."""
    environ = os.environ if environ is None else environ
    files = ConfigFiles.locate(environ)
    values: dict[str, Any] = {"home": xdg_data_home(environ) / "omc"}
    origins: dict[str, str] = {}
    _merge(values, read_config_file(files.system), origins, str(files.system))
    _merge(values, read_config_file(files.user), origins, str(files.user))
    environment = _environment_layer(environ)
    env_origins: dict[str, str] = {}
    _merge(values, environment, env_origins, "env")
    origins.update({name: "env OMC_" + name.upper().replace(".", "__") for name in env_origins})
    if overrides:
        clean = {key: value for key, value in overrides.items() if value is not None}
        _merge(values, clean, origins, "command line")
    try:
        settings = Settings(**values)
    except ValidationError as error:
        raise ConfigProblem(_describe_validation_error(error, origins)) from None
    return LoadedSettings(settings=settings, origins=origins, files=files)


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


def mask_secret(value: str) -> str:
    """The one way omc shows a secret: first 4 and last 6 characters (``AIza…440000``)."""
    if len(value) <= 12:
        return "…" if value else ""
    return f"{value[:4]}…{value[-6:]}"


def _display_value(name: str, value: Any) -> Any:
    if value is None:
        return None
    if name.endswith("_url"):
        return mask_url(str(value))
    if any(marker in name.rsplit(".", 1)[-1] for marker in SECRET_FIELD_MARKERS):
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
