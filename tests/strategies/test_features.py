"""Ledger features are aligned to bars by when omc learned them, never earlier."""

import pandas as pd

from omc.strategies.features import align_as_of, decision_times


def test_a_bars_signal_is_decided_at_its_close_which_is_the_next_bars_open():
    index = pd.date_range("2024-01-01", periods=3, freq="h", tz="UTC")
    assert list(decision_times(index)) == list(
        pd.date_range("2024-01-01 01:00", periods=3, freq="h", tz="UTC")
    )


def test_a_row_is_visible_only_from_the_first_bar_decided_after_it_was_collected():
    index = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    rows = pd.DataFrame(
        {
            # Published early, but collected at 01:30: usable by the bar that closes at 02:00.
            "published_at": pd.to_datetime(["2024-01-01 00:10"], utc=True),
            "collected_at": pd.to_datetime(["2024-01-01 01:30"], utc=True),
            "sentiment": [0.8],
        }
    )
    aligned = align_as_of(index, rows)
    assert list(aligned.index) == list(index)
    assert aligned["sentiment"].isna().tolist() == [True, False, False, False]
    assert aligned.loc[index[1], "sentiment"] == 0.8
