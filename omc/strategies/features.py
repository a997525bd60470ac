"""Ledger features as of each bar: only what omc had collected when the bar's signal was made.

A bar's signal is computed at its close, which is the next bar's timestamp (bars are labelled
by their open time); for the last bar, its timestamp plus the typical spacing. A ledger row is
usable from the moment it was collected (`collected_at`), not when the event happened.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def decision_times(index: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """When each bar's signal is made: the close of the bar, i.e. the next bar's open time."""
    if len(index) == 0:
        return index
    spacing = (
        pd.Timedelta(np.median(np.diff(index.asi8)), unit=index.unit)
        if len(index) > 1
        else (pd.Timedelta(0))
    )
    return index[1:].append(pd.DatetimeIndex([index[-1] + spacing]))


def align_as_of(
    index: pd.DatetimeIndex, rows: pd.DataFrame, known_at: str = "collected_at"
) -> pd.DataFrame:
    """For each bar, the latest row whose `known_at` is at or before the bar's decision time.

    Returns a frame indexed like the bars, with the rows' other columns (NaN before the first
    row was known), ready to pass to a strategy as `features`.
    """
    decided = pd.DataFrame({"_decided_at": decision_times(index)}, index=index)
    known = rows.copy()
    known[known_at] = pd.to_datetime(known[known_at], utc=True).astype(decided.dtypes.iloc[0])
    known = known.sort_values(known_at)
    merged = pd.merge_asof(
        decided.reset_index(names="_bar"),
        known,
        left_on="_decided_at",
        right_on=known_at,
        direction="backward",
    )
    return merged.drop(columns=["_decided_at", known_at]).set_index("_bar").rename_axis(index.name)
