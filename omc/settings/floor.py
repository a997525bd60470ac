"""``[floor]`` (the brokers, the trading floor's risk limits and its live gate) and ``[notify]``
(the webhook).

Every risk limit here is the default for all deployments; a deployment may override any of
them (``omc floor promote --limit max_drawdown=0.1``). Only pydantic is imported here.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from omc.settings.sections import SectionModel

# Names of the `[floor]` fields a deployment may override with `--limit NAME=VALUE`.
RISK_LIMIT_NAMES = (
    "max_price_age_seconds",
    "max_quote_deviation",
    "max_position_fraction",
    "max_order_value",
    "min_order_value",
    "daily_loss_limit",
    "max_drawdown",
    "max_exposure_value",
    "max_total_exposure_value",
)


class FloorSettings(SectionModel):
    """``[floor]``: where the CoinSpot private API is, how fresh a price must be to trade on,
    the paper broker's costs (the ``[backtest]`` fee and minimum unless set here), the risk
    limits, the live gate's thresholds and the trading daemon's timing."""

    # CoinSpot API v2; read-only calls go to `{coinspot_api_url}/ro/...`. Tests point it at a
    # loopback server.
    coinspot_api_url: str = "https://www.coinspot.com.au/api/v2"
    coinspot_requests_per_minute: int = Field(default=1000, ge=1)
    coinspot_timeout_seconds: float = Field(default=15.0, gt=0.0)
    # A latest price older than this is not traded on (paper fills, the floor's stale check).
    max_price_age_seconds: float = Field(default=300.0, gt=0.0)
    # None: the `[backtest]` fee_rate / minimum_order_value.
    fee_rate: Decimal | None = Field(default=None, ge=0, lt=Decimal("0.1"))
    min_order_value: Decimal | None = Field(default=None, ge=0)
    # The slippage guard of a manual market order when none is given.
    default_max_slippage: Decimal = Field(default=Decimal("0.01"), ge=0, le=10)
    paper_initial_cash: Decimal = Field(default=Decimal("10000"), gt=0)
    # A `submitting` order older than this (its process died before recording the answer) is
    # treated as `unknown`; reconciliation looks this far past an order's creation for it.
    unknown_after_seconds: float = Field(default=120.0, gt=0.0)

    # The live gate.
    min_paper_days: float = Field(default=14.0, ge=0.0)
    max_tracking_error: float = Field(default=0.02, ge=0.0)
    allow_live: bool = False
    min_oos_trades: int = Field(default=30, ge=0)
    min_deflated_sharpe: float = Field(default=0.95, ge=0.0, le=1.0)
    # Risk limits (fractions are of the deployment's equity, cash included).
    max_quote_deviation: float = Field(default=0.02, gt=0.0)
    max_position_fraction: float = Field(default=1.0, ge=0.0, le=1.0)
    max_order_value: Decimal | None = Field(default=None, gt=0)
    daily_loss_limit: float = Field(default=0.05, gt=0.0, le=1.0)
    max_drawdown: float = Field(default=0.25, gt=0.0, le=1.0)
    max_exposure_value: Decimal | None = Field(default=None, gt=0)
    max_total_exposure_value: Decimal | None = Field(default=None, gt=0)
    # The trading daemon.
    tick_delay_seconds: float = Field(default=2.0, ge=0.0)
    sync_seconds: float = Field(default=5.0, gt=0.0)
    venue_modules: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("venue_modules", mode="before")
    @classmethod
    def _split_modules(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value


NOTIFY_EVENTS = ("fill", "halt", "kill", "unknown_order")


class NotifySettings(SectionModel):
    """``[notify]``: a Slack- or Discord-compatible webhook for fills, halts, kills and unknown
    orders. Each kind of event for one deployment is sent at most once per cooldown."""

    webhook_url: str | None = None
    cooldown_seconds: float = Field(default=300.0, ge=0.0)
    timeout_seconds: float = Field(default=5.0, gt=0.0)
    events: Annotated[list[str], NoDecode] = Field(default_factory=lambda: list(NOTIFY_EVENTS))

    @field_validator("events", mode="before")
    @classmethod
    def _split_events(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.replace(",", " ").split() if part]
        unknown = sorted(set(value or []) - set(NOTIFY_EVENTS))
        if unknown:
            raise ValueError(
                f"unknown event(s) {', '.join(unknown)}; use {', '.join(NOTIFY_EVENTS)}"
            )
        return value
