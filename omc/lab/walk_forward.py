"""The purged walk-forward for fitted models.

Rows are the bars with every feature known and a label. The last `folds` of ``folds + 1``
equal blocks are the test windows, each judged by a model fitted only on rows before it
(an expanding window, as scikit-learn's `TimeSeriesSplit` splits). A training row t is
*purged* when its label window (t, t + h] reaches the test window, and an *embargo* of e more
bars is kept clear before it: a training row needs t + h + e < the test window's first bar.
On contiguous rows this is exactly ``TimeSeriesSplit(n_splits=folds, gap=h + e)``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from omc.lab.errors import TooLittleDataError

MINIMUM_BLOCK_ROWS = 50


@dataclass(frozen=True)
class ModelFold:
    """One fold, as row numbers into the matrix: train rows, then the test block [start, end)."""

    number: int
    train_rows: np.ndarray
    test_start: int
    test_end: int

    def describe(self, times: pd.DatetimeIndex) -> dict[str, object]:
        return {
            "fold": self.number,
            "train_rows": len(self.train_rows),
            "train_from": times[self.train_rows[0]].isoformat() if len(self.train_rows) else None,
            "train_to": times[self.train_rows[-1]].isoformat() if len(self.train_rows) else None,
            "test_rows": self.test_end - self.test_start,
            "test_from": times[self.test_start].isoformat(),
            "test_to": times[self.test_end - 1].isoformat(),
        }


def minimum_rows(folds: int, horizon_bars: int, embargo_bars: int) -> int:
    """Rows needed: `folds + 1` blocks, each longer than the purge and at least 50 rows."""
    block = max(MINIMUM_BLOCK_ROWS, 2 * (horizon_bars + embargo_bars))
    return (folds + 1) * block


def check_enough_rows(
    rows: int, folds: int, horizon_bars: int, embargo_bars: int, bar_seconds: float
) -> None:
    """A clear error saying how much data is needed when there is too little."""
    needed = minimum_rows(folds, horizon_bars, embargo_bars)
    if rows >= needed:
        return
    span = dt.timedelta(seconds=needed * bar_seconds)
    raise TooLittleDataError(
        f"Too little data: {rows} usable bars (after the features' warm-up and the "
        f"{horizon_bars}-bar label horizon), but {folds} folds with a {horizon_bars}-bar "
        f"horizon and a {embargo_bars}-bar embargo need at least {needed} bars "
        f"(about {_span_text(span)} of bars); load more history or use fewer folds."
    )


def _span_text(span: dt.timedelta) -> str:
    if span >= dt.timedelta(days=2):
        return f"{span.total_seconds() / 86400:.0f} days"
    return f"{span.total_seconds() / 3600:.0f} hours"


def purged_folds(
    positions: np.ndarray, folds: int, horizon_bars: int, embargo_bars: int
) -> list[ModelFold]:
    """Folds over matrix rows whose bar positions are `positions` (ascending)."""
    rows = len(positions)
    test_size = rows // (folds + 1)
    if folds < 1 or test_size < 1:
        raise TooLittleDataError(f"{rows} rows cannot make {folds} folds.")
    result = []
    for number in range(folds):
        test_start = rows - (folds - number) * test_size
        test_end = test_start + test_size
        first_test_bar = positions[test_start]
        candidates = np.arange(test_start)
        keep = positions[candidates] + horizon_bars + embargo_bars < first_test_bar
        result.append(ModelFold(number + 1, candidates[keep], test_start, test_end))
    return result
