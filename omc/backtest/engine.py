"""The vectorised engine: targets and prices in, fills and a per-bar equity curve out.

Work is proportional to the number of fills, not bars: the Python loop visits only the bars
where the executed target changes, and the equity curve is built with array indexing. The
exact `Decimal` ledger in `omc.backtest.ledger` replays the same fills and must agree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from omc.backtest.costs import CostModel
from omc.backtest.execution import executed_targets, rebalance


@dataclass(frozen=True)
class Fills:
    """Column arrays, one row per fill: bar position, signed units, price, value, fee."""

    bar: np.ndarray
    units: np.ndarray
    price: np.ndarray
    notional: np.ndarray
    fee: np.ndarray
    units_after: np.ndarray

    def __len__(self) -> int:
        return len(self.bar)


@dataclass(frozen=True)
class Simulation:
    """Per-bar results: equity at each close, coin units held, and the fills that made them."""

    equity: np.ndarray
    units: np.ndarray
    cash: np.ndarray
    fills: Fills
    initial_cash: float


def simulate(
    targets: np.ndarray,
    execution_prices: np.ndarray,
    mark_prices: np.ndarray,
    costs: CostModel,
    initial_cash: float = 10_000.0,
) -> Simulation:
    """Trade toward `targets` under the execution convention and `costs`, starting in cash."""
    executed = executed_targets(targets)
    changes = np.flatnonzero(executed[1:] != executed[:-1]) + 1
    count = len(changes)
    cash_after = np.empty(count + 1)
    units_after = np.empty(count + 1)
    fill_rows: list[tuple[int, float, float, float, float, float]] = []
    cash, units = float(initial_cash), 0.0
    cash_after[0], units_after[0] = cash, units
    fee_rate, slippage_rate = costs.fee_rate, costs.slippage_rate
    minimum = costs.minimum_order_value
    for step, (bar, price, target) in enumerate(
        zip(
            changes.tolist(),
            execution_prices[changes].tolist(),
            executed[changes].tolist(),
            strict=True,
        ),
        start=1,
    ):
        fill = rebalance(cash, units, price, target, fee_rate, slippage_rate, minimum)
        if fill is not None:
            if fill.units > 0:
                cash -= fill.notional + fill.fee
                units += fill.units
            else:
                cash += fill.notional - fill.fee
                units = 0.0 if target <= 0.0 else units + fill.units
            fill_rows.append((bar, fill.units, fill.price, fill.notional, fill.fee, units))
        cash_after[step], units_after[step] = cash, units
    segment = np.zeros(len(targets), dtype=np.intp)
    segment[changes] = 1
    np.cumsum(segment, out=segment)
    units_per_bar = units_after[segment]
    cash_per_bar = cash_after[segment]
    equity = cash_per_bar + units_per_bar * mark_prices
    return Simulation(equity, units_per_bar, cash_per_bar, _fills(fill_rows), float(initial_cash))


def _fills(rows: list[tuple[int, float, float, float, float, float]]) -> Fills:
    if not rows:
        empty = np.empty(0)
        return Fills(np.empty(0, dtype=np.intp), empty, empty, empty, empty, empty)
    columns = list(zip(*rows, strict=True))
    return Fills(
        np.asarray(columns[0], dtype=np.intp),
        *(np.asarray(column, dtype=np.float64) for column in columns[1:]),
    )
