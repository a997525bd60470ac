"""Metrics: annualisation from the bars' real spacing, drawdowns, trade statistics, PSR."""

import math

import numpy as np
import pandas as pd
import pytest

from omc.backtest.costs import CostModel
from omc.backtest.metrics import (
    bar_spacing_seconds,
    drawdown,
    periods_per_year,
    probabilistic_sharpe_ratio,
    sharpe_ratio,
)
from omc.backtest.runner import run_backtest


def closes_to_bars(closes, freq) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq=freq, tz="UTC")
    return pd.DataFrame({"close": np.asarray(closes, dtype=float)}, index=index)


def test_bar_spacing_is_the_median_gap_so_an_outage_does_not_change_it():
    index = pd.DatetimeIndex(
        [
            "2024-01-01 00:00",
            "2024-01-01 00:01",
            "2024-01-01 00:02",
            "2024-01-01 05:00",
            "2024-01-01 05:01",
        ],
        tz="UTC",
    )
    assert bar_spacing_seconds(index) == 60.0
    assert periods_per_year(index) == pytest.approx(525_960.0)


def test_same_returns_on_minute_bars_annualise_to_a_sqrt_1440_larger_sharpe_than_daily():
    rng = np.random.default_rng(2)
    closes = 100 * np.exp(np.cumsum(rng.normal(0.001, 0.01, 400)))
    daily = run_backtest(closes_to_bars(closes, "D"), "buy_and_hold", costs=CostModel(0.0))
    minutes = run_backtest(closes_to_bars(closes, "min"), "buy_and_hold", costs=CostModel(0.0))
    assert minutes.metrics.sharpe == pytest.approx(daily.metrics.sharpe * math.sqrt(1440))
    assert minutes.metrics.annualised_volatility == pytest.approx(
        daily.metrics.annualised_volatility * math.sqrt(1440)
    )


def test_max_drawdown_and_its_duration_on_a_hand_made_curve():
    closes = [100, 100, 120, 90, 60, 100, 130, 125]
    result = run_backtest(closes_to_bars(closes, "h"), "buy_and_hold", costs=CostModel(0.0))
    # Bought at bar 1 (close 100); peak 120 at bar 2, trough 60 at bar 4, regained at bar 6.
    assert result.metrics.max_drawdown == pytest.approx(-0.5)
    assert result.metrics.max_drawdown_duration_seconds == 4 * 3600
    assert result.metrics.total_return == pytest.approx(0.25)
    assert drawdown(np.array([1.0, 2.0, 1.0, 3.0])).tolist() == [0.0, 0.0, -0.5, 0.0]


def test_win_rate_and_profit_factor_count_closed_trades_after_fees():
    # momentum(1) rises at bars 2-3: bought at bar 3 open (100), sold at bar 5 open (120).
    closes = [100, 100, 110, 120, 120, 120, 110, 100, 100]
    bars = closes_to_bars(closes, "h").assign(open=[100, 100, 100, 100, 120, 120, 120, 100, 100])
    result = run_backtest(bars, "momentum", {"lookback": 1, "threshold": 0.0}, CostModel(0.0))
    trades = result.trades_frame()
    assert trades["entry_time"].tolist() == [bars.index[3]]
    assert result.metrics.closed_trade_count == 1
    assert trades["profit"].iloc[0] == pytest.approx(10_000 * 1.2 - 10_000)
    assert result.metrics.win_rate == 1.0
    assert result.metrics.profit_factor is None  # no losing trade to divide by


def test_exposure_and_fees_are_reported_for_a_single_buy_and_hold():
    closes = [100.0] * 10
    result = run_backtest(closes_to_bars(closes, "h"), "buy_and_hold", costs=CostModel(0.01))
    assert result.metrics.exposure == pytest.approx(0.9)
    assert result.metrics.fees_paid == pytest.approx(10_000 / 1.01 * 0.01)
    assert result.metrics.fill_count == 1
    assert result.metrics.trade_count == 1
    assert result.metrics.closed_trade_count == 0


def test_probabilistic_sharpe_is_one_half_when_the_sharpe_equals_the_benchmark():
    returns = np.random.default_rng(4).normal(0.0, 0.01, 1000)
    observed = returns.mean() / returns.std(ddof=1)
    assert probabilistic_sharpe_ratio(returns, benchmark_sharpe=observed) == pytest.approx(0.5)


def test_probabilistic_sharpe_grows_with_more_evidence_of_the_same_skill():
    rng = np.random.default_rng(8)
    short = rng.normal(0.001, 0.01, 100)
    long = np.tile(short, 20)
    assert 0.5 < probabilistic_sharpe_ratio(short) < probabilistic_sharpe_ratio(long) <= 1.0


def test_probabilistic_sharpe_matches_the_bailey_lopez_de_prado_formula():
    returns = np.array([0.02, -0.01, 0.03, 0.0, -0.02, 0.04, 0.01, -0.005])
    n = len(returns)
    sharpe = returns.mean() / returns.std(ddof=1)
    centred = returns - returns.mean()
    skew = np.mean(centred**3) / np.mean(centred**2) ** 1.5
    kurt = np.mean(centred**4) / np.mean(centred**2) ** 2
    z = sharpe * math.sqrt(n - 1) / math.sqrt(1 - skew * sharpe + (kurt - 1) / 4 * sharpe**2)
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert probabilistic_sharpe_ratio(returns) == pytest.approx(expected, rel=1e-12)


def test_sharpe_is_undefined_for_a_flat_equity_curve():
    assert sharpe_ratio(np.zeros(50), 8766.0) is None
