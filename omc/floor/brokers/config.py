"""The numbers a broker works with, taken once from settings (``[floor]``, else ``[backtest]``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

AMOUNT_STEP = Decimal("0.00000001")  # CoinSpot states coin amounts and AUD to 8 places


@dataclass(frozen=True)
class BrokerConfig:
    fee_rate: Decimal = Decimal("0.01")
    min_order_value: Decimal = Decimal(0)
    max_price_age_seconds: float = 300.0
    initial_cash: Decimal = Decimal("10000")
    unknown_after_seconds: float = 120.0

    @classmethod
    def from_settings(cls, settings: Any) -> BrokerConfig:
        floor, backtest = settings.floor, settings.backtest
        fee = floor.fee_rate if floor.fee_rate is not None else Decimal(str(backtest.fee_rate))
        minimum = (
            floor.min_order_value
            if floor.min_order_value is not None
            else Decimal(str(backtest.minimum_order_value))
        )
        return cls(
            fee_rate=fee,
            min_order_value=minimum,
            max_price_age_seconds=floor.max_price_age_seconds,
            initial_cash=floor.paper_initial_cash,
            unknown_after_seconds=floor.unknown_after_seconds,
        )
