"""The lookahead check catches a strategy that peeks and passes every built-in."""

import numpy as np
import pandas as pd
import pytest

from omc.backtest.lookahead import check_lookahead
from omc.strategies import Strategy, list_strategies


class PeeksOneBarAhead(Strategy):
    """Long when the next bar's close is higher: profitable, and impossible to trade."""

    name = "peeks_one_bar_ahead"
    description = "test strategy that reads the future"

    def targets(self, bars, params, features=None):
        closes = bars["close"]
        return (closes.shift(-1) > closes).to_numpy(dtype=float)


class NormalisesByTheWholeHistory(Strategy):
    """A subtler peek: long when the close is above the mean of all bars, future ones too."""

    name = "whole_history_mean"
    description = "test strategy that uses a full-sample statistic"

    def targets(self, bars, params, features=None):
        closes = bars["close"]
        return (closes > closes.mean()).to_numpy(dtype=float)


@pytest.fixture(scope="module")
def btc_sample(btc_hourly: pd.DataFrame) -> pd.DataFrame:
    return btc_hourly.iloc[:3000]


def test_a_strategy_reading_the_next_bar_is_caught_with_the_bar_and_both_targets(btc_sample):
    report = check_lookahead(btc_sample, PeeksOneBarAhead(), truncations=20)
    assert not report.passed
    # A prefix's last bar differs whenever the next close rose: about half of the 20 cuts.
    assert report.violating_bars >= 5
    first = report.violations[0]
    assert first.target_with_later_data != first.target_without_later_data
    assert report.to_dict()["passed"] is False


def test_a_strategy_using_a_full_history_statistic_is_caught(btc_sample):
    report = check_lookahead(btc_sample, NormalisesByTheWholeHistory(), truncations=20)
    assert not report.passed
    assert report.violating_bars > 100


@pytest.mark.parametrize("strategy", list_strategies(), ids=lambda strategy: strategy.name)
def test_builtin_strategy_passes_the_lookahead_check(btc_sample, strategy):
    report = check_lookahead(btc_sample, strategy.name, truncations=25)
    assert report.passed, report.violations[:3]
    assert report.truncations == 25
    assert report.bars_compared > 25 * 100


def test_check_compares_every_bar_of_each_prefix():
    index = pd.date_range("2024-01-01", periods=40, freq="h", tz="UTC")
    bars = pd.DataFrame({"close": np.arange(40.0)}, index=index)
    report = check_lookahead(bars, "buy_and_hold", truncations=3)
    # Cuts at 2, 20 and 39 bars: 2 + 20 + 39 bars compared.
    assert report.bars_compared == 61
