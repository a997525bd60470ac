"""From a target to an order: the backtest's own rebalancing rule, in exact money.

The order is the difference between the target share of the deployment's equity and what it
holds, valued at the price the order will fill at; a buy spends at most the cash less the fee.
It is considered only when the target changed since the last order, as the backtest trades only
where its executed target changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from omc.backtest.execution import rebalance


@dataclass(frozen=True)
class PlannedOrder:
    side: str
    value: Decimal  # quote currency, before the fee
    units: Decimal


def exact(value: float) -> Decimal:
    """A float as the decimal text it prints as (the backtest's exact ledger does the same)."""
    return Decimal(repr(float(value)))


def plan_order(
    cash: Decimal,
    units: Decimal,
    price: Decimal,
    target: float,
    fee_rate: float,
    minimum_order_value: Decimal,
) -> PlannedOrder | None:
    """The order that moves the holdings to ``target`` at ``price``, or None."""
    with localcontext() as context:
        context.prec = 28
        fill = rebalance(
            cash, units, price, exact(target), exact(fee_rate), Decimal(0), minimum_order_value
        )
    if fill is None:
        return None
    side = "buy" if fill.units > 0 else "sell"
    return PlannedOrder(side, Decimal(fill.notional), abs(Decimal(fill.units)))
