"""The equity and drawdown PNG, and the terminal sparkline."""

import numpy as np
import pandas as pd

from omc.backtest.plot import save_equity_plot, sparkline


def test_sparkline_maps_lowest_to_lowest_block_and_highest_to_highest():
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"


def test_sparkline_squeezes_long_series_into_the_requested_width():
    line = sparkline(np.linspace(0, 1, 10_000), width=40)
    assert len(line) == 40
    assert line[0] == "▁"
    assert line[-1] == "█"


def test_sparkline_of_a_flat_or_empty_series():
    assert sparkline([5, 5, 5]) == "▅▅▅"
    assert sparkline([]) == ""


def test_equity_plot_is_written_as_a_png(tmp_path):
    index = pd.date_range("2024-01-01", periods=200, freq="h", tz="UTC")
    equity = pd.Series(10_000 * np.exp(np.sin(np.arange(200) / 20) / 10), index=index)
    path = save_equity_plot(equity, tmp_path / "equity.png", benchmark=equity * 1.01, title="t")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000
