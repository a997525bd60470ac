"""Settings sections of omc's own domains: ``[llm]``, ``[market]``, ``[backtest]``,
``[collect]`` and ``[daemon]``. The collectors' ``[glass]``, ``[human]`` and ``[catalyst]`` live in
:mod:`omc.settings.ledgers`.

Only pydantic is imported here: building settings never loads anything heavy.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import NoDecode

from omc.backtest.costs import (
    COINSPOT_INSTANT_FEE_RATE,
    DEFAULT_MINIMUM_ORDER_VALUE,
    DEFAULT_SLIPPAGE_BPS,
)


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
