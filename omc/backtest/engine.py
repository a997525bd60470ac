"""The vectorised engine: targets and prices in, fills and a per-bar equity curve out.

Work per bar is a few array operations; fills are computed only where the executed target
changes, in closed form when every fill is all-in or all-out (the common case) and by a loop
over the changes otherwise. The equity curve is built with array indexing. The
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
    changed = executed[1:] != executed[:-1]
    changes = np.flatnonzero(changed) + 1
    new_targets = executed[changes]
    all_in_all_out = costs.minimum_order_value == 0.0 and _alternates_zero_one(new_targets)
    if all_in_all_out:
        cash_after, units_after, fills = _all_in_all_out(
            changes, execution_prices[changes], float(initial_cash), costs
        )
    else:
        cash_after, units_after, fills = _rebalance_each_change(
            changes, execution_prices[changes], new_targets, float(initial_cash), costs
        )
    # Holdings are constant between changes: index each bar's segment into the per-change state.
    segment = np.empty(len(targets), dtype=np.intp)
    segment[0] = 0
    np.cumsum(changed, out=segment[1:])
    units_per_bar = units_after[segment]
    cash_per_bar = cash_after[segment]
    equity = units_per_bar * mark_prices
    equity += cash_per_bar
    return Simulation(equity, units_per_bar, cash_per_bar, fills, float(initial_cash))


def _alternates_zero_one(new_targets: np.ndarray) -> bool:
    """True when every change is flat-to-all-in or all-in-to-flat (starting flat)."""
    return bool(
        np.all(new_targets[0::2] == 1.0)
        and (len(new_targets) < 2 or np.all(new_targets[1::2] == 0.0))
    )


def _all_in_all_out(
    changes: np.ndarray, prices: np.ndarray, initial_cash: float, costs: CostModel
) -> tuple[np.ndarray, np.ndarray, Fills]:
    """Closed form of `rebalance` when every fill spends all cash or sells all units.

    Entry k spends cash C_k as value C_k / (1 + fee) plus its fee; exit k returns
    units x price x (1 - fee), so C_(k+1) = C_k x exit fill price / entry fill price
    x (1 - fee) / (1 + fee): a cumulative product instead of a loop.
    """
    fee, slippage = costs.fee_rate, costs.slippage_rate
    entries, exits = slice(0, None, 2), slice(1, None, 2)
    buy_prices = prices[entries] * (1.0 + slippage)
    sell_prices = prices[exits] * (1.0 - slippage)
    round_trip = sell_prices / buy_prices[: len(sell_prices)] * ((1.0 - fee) / (1.0 + fee))
    cash_before_entry = np.empty(len(buy_prices))
    cash_before_entry[0:1] = initial_cash
    cash_before_entry[1:] = initial_cash * np.cumprod(round_trip[: len(buy_prices) - 1])
    buy_values = cash_before_entry / (1.0 + fee)
    bought = buy_values / buy_prices
    sell_values = bought[: len(sell_prices)] * sell_prices
    count = len(changes)
    units = np.empty(count)
    units[entries], units[exits] = bought, -bought[: len(sell_prices)]
    notional = np.empty(count)
    notional[entries], notional[exits] = buy_values, sell_values
    price = np.empty(count)
    price[entries], price[exits] = buy_prices, sell_prices
    units_after = np.zeros(count + 1)
    units_after[1::2] = bought
    cash_after = np.empty(count + 1)
    cash_after[0] = initial_cash
    cash_after[1::2] = cash_before_entry - buy_values * (1.0 + fee)
    cash_after[2::2] = sell_values * (1.0 - fee)
    fills = Fills(changes, units, price, notional, notional * fee, units_after[1:])
    return cash_after, units_after, fills


def _rebalance_each_change(
    changes: np.ndarray,
    prices: np.ndarray,
    new_targets: np.ndarray,
    initial_cash: float,
    costs: CostModel,
) -> tuple[np.ndarray, np.ndarray, Fills]:
    """The general path: apply `rebalance` at each change, in order (fractional targets)."""
    count = len(changes)
    cash_after = np.empty(count + 1)
    units_after = np.empty(count + 1)
    fill_rows: list[tuple[int, float, float, float, float, float]] = []
    cash, units = initial_cash, 0.0
    cash_after[0], units_after[0] = cash, units
    fee_rate, slippage_rate = costs.fee_rate, costs.slippage_rate
    minimum = costs.minimum_order_value
    for step, (bar, price, target) in enumerate(
        zip(changes.tolist(), prices.tolist(), new_targets.tolist(), strict=True), start=1
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
    return cash_after, units_after, _fills(fill_rows)


def _fills(rows: list[tuple[int, float, float, float, float, float]]) -> Fills:
    if not rows:
        empty = np.empty(0)
        return Fills(np.empty(0, dtype=np.intp), empty, empty, empty, empty, empty)
    columns = list(zip(*rows, strict=True))
    return Fills(
        np.asarray(columns[0], dtype=np.intp),
        *(np.asarray(column, dtype=np.float64) for column in columns[1:]),
    )
