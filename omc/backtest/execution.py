"""The execution convention and the rebalancing rule, shared by the float and Decimal paths.

Convention, for the whole product: the target computed from bars up to and including bar t
is executed at the open of bar t+1, or at bar t+1's close when the bars carry no open price
(CoinSpot's `last`-only history). A target that arrives on the final bar is never executed.
Positions are marked to market at each bar's close (`last` when there is no close).
"""

from __future__ import annotations

from decimal import Decimal
from typing import NamedTuple, TypeVar

import numpy as np
import pandas as pd

from omc.backtest.errors import NoDataError, StrategyOutputError

Number = TypeVar("Number", float, Decimal)


class Rebalance(NamedTuple):
    """One fill: `units` bought (positive) or sold (negative) at `price`, `fee` GST included."""

    units: float | Decimal
    price: float | Decimal
    notional: float | Decimal
    fee: float | Decimal


def rebalance(
    cash: Number,
    units: Number,
    price: Number,
    target: Number,
    fee_rate: Number,
    slippage_rate: Number,
    minimum_order_value: Number,
) -> Rebalance | None:
    """The fill that moves holdings to `target` of equity at `price`, or None if no order.

    Equity is valued at the undisturbed `price`; the fill happens at `price` moved against the
    trader by the slippage. A buy is capped so that value plus fee never exceeds the cash; a
    target of 0 sells every unit. Works alike on floats and on `Decimal`s.
    """
    holding_value = units * price
    desired_value = target * (cash + holding_value)
    if desired_value > holding_value:
        fill_price = price * (1 + slippage_rate)
        notional = min(desired_value - holding_value, cash / (1 + fee_rate))
        if notional <= 0 or notional < minimum_order_value:
            return None
        return Rebalance(notional / fill_price, fill_price, notional, notional * fee_rate)
    if desired_value < holding_value and units > 0:
        fill_price = price * (1 - slippage_rate)
        sold = units if target <= 0 else min(units, (holding_value - desired_value) / price)
        notional = sold * fill_price
        if notional <= 0 or notional < minimum_order_value:
            return None
        return Rebalance(-sold, fill_price, notional, notional * fee_rate)
    return None


def prepare_bars(bars: pd.DataFrame) -> pd.DataFrame:
    """Check bars are usable: non-empty, a UTC time index (naive taken as UTC), sorted, unique."""
    if bars is None or len(bars) == 0:
        raise NoDataError("No price bars to backtest: the data is empty for the requested span.")
    if "close" not in bars.columns and "last" not in bars.columns:
        raise NoDataError("The price bars have neither a 'close' nor a 'last' column.")
    if not isinstance(bars.index, pd.DatetimeIndex):
        raise NoDataError("The price bars must be indexed by time (a DatetimeIndex).")
    if bars.index.tz is None:
        bars = bars.tz_localize("UTC")
    elif str(bars.index.tz) != "UTC":
        bars = bars.tz_convert("UTC")
    if not bars.index.is_monotonic_increasing:
        bars = bars.sort_index()
    if bars.index.has_duplicates:
        bars = bars[~bars.index.duplicated(keep="last")]
    return bars


def mark_prices(bars: pd.DataFrame) -> np.ndarray:
    """Prices positions are valued at: each bar's close, or `last`."""
    column = "close" if "close" in bars.columns else "last"
    return bars[column].to_numpy(dtype=np.float64)


def execution_prices(bars: pd.DataFrame, marks: np.ndarray) -> np.ndarray:
    """Prices orders fill at within each bar: the open, or the close where there is no open."""
    if "open" not in bars.columns:
        return marks
    opens = bars["open"].to_numpy(dtype=np.float64)
    missing = ~np.isfinite(opens)
    if missing.any():
        return np.where(missing, marks, opens)
    return opens


def checked_targets(raw: object, length: int, strategy_name: str) -> np.ndarray:
    """The strategy's output as floats; refuses NaN, a wrong length or values outside [0, 1]."""
    targets = np.asarray(raw, dtype=np.float64)
    if targets.shape != (length,):
        raise StrategyOutputError(
            f"Strategy {strategy_name} returned {targets.size} targets for {length} bars."
        )
    low, high = (targets.min(), targets.max()) if length else (0.0, 0.0)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise StrategyOutputError(f"Strategy {strategy_name} returned a missing (NaN) target.")
    if low < 0.0 or high > 1.0:
        raise StrategyOutputError(
            f"Strategy {strategy_name} returned targets outside [0, 1] (from {low} to {high})."
        )
    return targets


def executed_targets(targets: np.ndarray) -> np.ndarray:
    """The target in force during each bar: bar t's signal applies from bar t+1."""
    executed = np.empty_like(targets)
    executed[0] = 0.0
    executed[1:] = targets[:-1]
    return executed
