"""The exact fills ledger: the same trades as the engine, in `Decimal` money, bar by bar.

Prices enter as the decimal text they were reported with (`repr` of the float), and every
amount after that is exact to 28 significant digits. The engine's floats must agree with this.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, localcontext

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel, split_gst
from omc.backtest.execution import executed_targets, rebalance


@dataclass(frozen=True)
class LedgerFill:
    """One fill as the exchange would report it; `fee` is GST-inclusive."""

    time: datetime
    side: str
    units: Decimal
    price: Decimal
    notional: Decimal
    fee: Decimal
    fee_ex_gst: Decimal
    gst: Decimal
    cash_after: Decimal
    units_after: Decimal

    def to_dict(self) -> dict[str, str]:
        """Amounts as decimal strings, so JSON keeps them exact."""
        return {
            "time": self.time.isoformat(),
            "side": self.side,
            **{
                name: str(getattr(self, name))
                for name in (
                    "units",
                    "price",
                    "notional",
                    "fee",
                    "fee_ex_gst",
                    "gst",
                    "cash_after",
                    "units_after",
                )
            },
        }


@dataclass(frozen=True)
class Ledger:
    """All fills, then the cash, units and equity at the last bar's mark price."""

    fills: list[LedgerFill]
    final_cash: Decimal
    final_units: Decimal
    final_equity: Decimal

    @property
    def fees_paid(self) -> Decimal:
        """Total fees, GST included."""
        return sum((fill.fee for fill in self.fills), Decimal(0))


def _exact(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def replay_exact(
    index: pd.DatetimeIndex,
    targets: np.ndarray,
    execution_prices: np.ndarray,
    mark_prices: np.ndarray,
    costs: CostModel,
    initial_cash: float | Decimal = Decimal(10_000),
) -> Ledger:
    """Walk every bar, rebalancing in `Decimal` whenever the executed target changes."""
    executed = executed_targets(targets)
    fee_rate = _exact(costs.fee_rate)
    slippage_rate = _exact(costs.slippage_rate)
    minimum = _exact(costs.minimum_order_value)
    cash = Decimal(str(initial_cash))
    units = Decimal(0)
    fills: list[LedgerFill] = []
    previous = 0.0
    with localcontext() as context:
        context.prec = 28
        for bar in range(len(executed)):
            target = float(executed[bar])
            if target == previous:
                continue
            previous = target
            price = _exact(execution_prices[bar])
            fill = rebalance(cash, units, price, _exact(target), fee_rate, slippage_rate, minimum)
            if fill is None:
                continue
            if fill.units > 0:
                cash -= fill.notional + fill.fee
                units += fill.units
            else:
                cash += fill.notional - fill.fee
                units = Decimal(0) if target <= 0 else units + fill.units
            fee_ex_gst, gst = split_gst(fill.fee)
            fills.append(
                LedgerFill(
                    time=index[bar].to_pydatetime(),
                    side="buy" if fill.units > 0 else "sell",
                    units=abs(fill.units),
                    price=fill.price,
                    notional=fill.notional,
                    fee=fill.fee,
                    fee_ex_gst=fee_ex_gst,
                    gst=gst,
                    cash_after=cash,
                    units_after=units,
                )
            )
        final_equity = cash + units * _exact(mark_prices[-1])
    return Ledger(fills, cash, units, final_equity)
