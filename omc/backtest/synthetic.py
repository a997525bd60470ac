"""Synthetic bars from a fixed seed: for the benchmark, and for checks that need no real data."""

from __future__ import annotations

import numpy as np
import pandas as pd


def synthetic_bars(count: int, minutes: int, seed: int = 7) -> pd.DataFrame:
    """A geometric random walk with OHLC bars; each open is the previous close plus a gap."""
    rng = np.random.default_rng(seed)
    step_volatility = 0.6 / np.sqrt(365.25 * 24 * 60 / minutes)  # about 60% a year
    close = 30_000.0 * np.exp(np.cumsum(rng.normal(0.0, step_volatility, count)))
    open_ = np.empty(count)
    open_[0] = close[0]
    open_[1:] = close[:-1] * np.exp(rng.normal(0.0, step_volatility / 10, count - 1))
    spread = np.abs(rng.normal(0.0, step_volatility, count)) * close
    index = pd.date_range("2020-01-01", periods=count, freq=f"{minutes}min", tz="UTC")
    return pd.DataFrame(
        {
            "open": open_,
            "high": np.maximum(open_, close) + spread,
            "low": np.minimum(open_, close) - spread,
            "close": close,
            "volume": rng.uniform(1.0, 10.0, count),
        },
        index=index,
    )
