"""``[floor]``: the brokers (paper and CoinSpot) and, with the trading floor, its limits.

Only pydantic is imported here.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from omc.settings.sections import SectionModel


class FloorSettings(SectionModel):
    """``[floor]``: where the CoinSpot private API is, how fresh a price must be to trade on,
    and the paper broker's costs (the ``[backtest]`` fee and minimum unless set here)."""

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
