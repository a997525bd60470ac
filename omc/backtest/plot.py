"""Pictures of a backtest: an equity and drawdown PNG, and a one-line terminal sparkline."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

SPARK_LEVELS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float] | np.ndarray | pd.Series, width: int = 60) -> str:
    """`values` squeezed into `width` block characters (each the mean of its stretch)."""
    data = np.asarray(values, dtype=np.float64)
    data = data[np.isfinite(data)]
    if data.size == 0 or width < 1:
        return ""
    buckets = np.array_split(data, min(width, data.size))
    means = np.array([bucket.mean() for bucket in buckets])
    low, high = means.min(), means.max()
    if high == low:
        return SPARK_LEVELS[len(SPARK_LEVELS) // 2] * len(means)
    steps = np.round((means - low) / (high - low) * (len(SPARK_LEVELS) - 1)).astype(int)
    return "".join(SPARK_LEVELS[step] for step in steps)


def save_equity_plot(
    equity: pd.Series,
    path: str | Path,
    benchmark: pd.Series | None = None,
    title: str = "",
) -> Path:
    """Write a PNG with equity (and an optional benchmark) above its drawdown; returns the path."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never needs a display
    import matplotlib.pyplot as plt

    path = Path(path)
    figure, (equity_axes, drawdown_axes) = plt.subplots(
        2, 1, figsize=(10, 6), sharex=True, height_ratios=(3, 1)
    )
    try:
        equity_axes.plot(equity.index, equity.to_numpy(), label="strategy", linewidth=1.0)
        if benchmark is not None:
            equity_axes.plot(
                benchmark.index, benchmark.to_numpy(), label="buy and hold", linewidth=0.8
            )
        equity_axes.set_ylabel("equity")
        equity_axes.legend(loc="upper left")
        equity_axes.grid(alpha=0.3)
        if title:
            equity_axes.set_title(title)
        drawdown = equity / equity.cummax() - 1.0
        drawdown_axes.fill_between(drawdown.index, drawdown.to_numpy() * 100.0, 0.0, alpha=0.5)
        drawdown_axes.set_ylabel("drawdown %")
        drawdown_axes.grid(alpha=0.3)
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
    return path
