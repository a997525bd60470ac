"""Causal indicators on float arrays: each value uses only the current and earlier inputs.

Leading values without enough history are NaN. These are written for speed, because a
walk-forward search calls them thousands of times.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def simple_moving_average(values: np.ndarray, period: int) -> np.ndarray:
    """Mean of the last `period` values, by a running sum (O(n) however long the period)."""
    values = np.asarray(values, dtype=np.float64)
    result = np.full(values.shape, np.nan)
    if period > len(values):
        return result
    # A float64 running sum of prices loses about 1e-16 of its size per step, far below any
    # price tick; pandas' rolling mean is the same idea with compensation.
    running = np.cumsum(values)
    result[period - 1] = running[period - 1]
    np.subtract(running[period:], running[:-period], out=result[period:])
    result[period - 1 :] /= period
    return result


def exponential_moving_average(values: np.ndarray, span: int) -> np.ndarray:
    """Recursive EMA with alpha = 2 / (span + 1), seeded with the first value."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    return series.ewm(span=span, adjust=False).mean().to_numpy()


def rolling_standard_deviation(values: np.ndarray, period: int) -> np.ndarray:
    """Population standard deviation of the last `period` values (as Bollinger defines it)."""
    series = pd.Series(np.asarray(values, dtype=np.float64))
    return series.rolling(period).std(ddof=0).to_numpy()


def relative_strength_index(values: np.ndarray, period: int) -> np.ndarray:
    """Wilder's RSI in [0, 100]; NaN until `period` price changes have been seen."""
    values = np.asarray(values, dtype=np.float64)
    changes = np.diff(values, prepend=np.nan)
    gains = pd.Series(np.clip(changes, 0, None))
    losses = pd.Series(np.clip(-changes, 0, None))
    alpha = 1.0 / period
    average_gain = gains.ewm(alpha=alpha, adjust=False, min_periods=period).mean().to_numpy()
    average_loss = losses.ewm(alpha=alpha, adjust=False, min_periods=period).mean().to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        rsi = 100.0 - 100.0 / (1.0 + average_gain / average_loss)
    rsi = np.where((average_loss == 0) & (average_gain > 0), 100.0, rsi)
    rsi = np.where((average_loss == 0) & (average_gain == 0), 50.0, rsi)
    return rsi


def hold_between(entries: np.ndarray, exits: np.ndarray) -> np.ndarray:
    """1.0 from each entry bar until the next exit bar (exclusive), else 0.0; exits win ties."""
    events = np.full(entries.shape, np.nan)
    events[entries] = 1.0
    events[exits] = 0.0
    positions = np.arange(len(events))
    last_event = np.where(np.isnan(events), -1, positions)
    np.maximum.accumulate(last_event, out=last_event)
    held = np.where(last_event >= 0, events[np.maximum(last_event, 0)], 0.0)
    return held
