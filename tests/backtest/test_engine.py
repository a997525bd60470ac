"""The engine's execution convention, costs and agreement with the exact Decimal ledger."""

from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from omc.backtest.costs import CostModel, split_gst
from omc.backtest.engine import simulate
from omc.backtest.errors import BacktestError
from omc.backtest.ledger import replay_exact
from omc.backtest.runner import run_backtest

NO_COSTS = CostModel(fee_rate=0.0)


def make_bars(opens, closes) -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq="h", tz="UTC")
    return pd.DataFrame({"open": opens, "close": closes}, index=index, dtype=float)


def test_signal_on_bar_t_fills_at_the_open_of_bar_t_plus_one():
    opens = np.array([10.0, 11.0, 12.0, 13.0])
    closes = np.array([10.5, 11.5, 12.5, 13.5])
    result = simulate(np.array([1.0, 1.0, 1.0, 1.0]), opens, closes, NO_COSTS, 1000.0)
    assert result.fills.bar.tolist() == [1]
    assert result.fills.price.tolist() == [11.0]
    assert result.equity.tolist() == pytest.approx(
        [1000.0, 1000 / 11 * 11.5, 1000 / 11 * 12.5, 1000 / 11 * 13.5]
    )


def test_signal_on_the_final_bar_is_never_executed():
    result = simulate(np.array([0.0, 0.0, 1.0]), np.ones(3), np.ones(3), NO_COSTS, 100.0)
    assert len(result.fills) == 0


def test_bars_without_open_fill_at_the_next_bars_close():
    index = pd.date_range("2024-01-01", periods=3, freq="5min", tz="UTC")
    bars = pd.DataFrame({"last": [100.0, 200.0, 400.0]}, index=index)
    result = run_backtest(bars, "buy_and_hold", costs=NO_COSTS, initial_cash=1000.0)
    assert result.simulation.fills.price.tolist() == [200.0]
    assert result.metrics.final_equity == pytest.approx(2000.0)


def test_round_trip_fee_is_charged_on_each_fill_value():
    # Buy at 100 with 1% fee: value 1000/1.01; sell at 110: value x 1.1, minus 1%.
    result = simulate(
        np.array([1.0, 0.0, 0.0]),
        np.array([100.0, 100.0, 110.0]),
        np.array([100.0, 100.0, 110.0]),
        CostModel(fee_rate=0.01),
        1000.0,
    )
    expected = 1000.0 / 1.01 * 1.1 * 0.99
    assert result.equity[-1] == pytest.approx(expected, rel=1e-12)
    assert result.fills.fee.sum() == pytest.approx(1000 / 1.01 * 0.01 + 1000 / 1.01 * 1.1 * 0.01)


def test_slippage_moves_both_fills_against_the_trader():
    result = simulate(
        np.array([1.0, 0.0, 0.0]),
        np.array([100.0, 100.0, 100.0]),
        np.array([100.0, 100.0, 100.0]),
        CostModel(fee_rate=0.0, slippage_bps=50),
        1000.0,
    )
    assert result.fills.price.tolist() == pytest.approx([100.5, 99.5])
    assert result.equity[-1] == pytest.approx(1000.0 * 99.5 / 100.5)


def test_half_target_invests_half_the_equity_and_keeps_the_rest_in_cash():
    result = simulate(
        np.array([0.5, 0.5, 0.5]), np.full(3, 50.0), np.array([50.0, 50.0, 100.0]), NO_COSTS, 1000.0
    )
    assert result.units[-1] == pytest.approx(10.0)
    assert result.cash[-1] == pytest.approx(500.0)
    assert result.equity[-1] == pytest.approx(1500.0)


def test_rebalance_below_the_minimum_order_value_is_skipped():
    targets = np.array([0.5, 0.51, 0.51, 0.51])
    result = simulate(
        targets, np.full(4, 10.0), np.full(4, 10.0), CostModel(0.0, 0.0, 20.0), 1000.0
    )
    # 0.5 of 1000 = 500 is bought; moving to 0.51 would buy only 10, under the minimum of 20.
    assert result.fills.notional.tolist() == pytest.approx([500.0])


def test_fractional_and_all_in_paths_agree_on_the_same_binary_targets():
    rng = np.random.default_rng(5)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 500)))
    targets = (rng.random(500) > 0.7).astype(float)
    costs = CostModel(fee_rate=0.004, slippage_bps=3)
    closed_form = simulate(targets, prices, prices * 1.001, costs, 1000.0)
    # A tiny minimum order value forces the general, fill-by-fill path.
    looped = simulate(targets, prices, prices * 1.001, CostModel(0.004, 3, 1e-9), 1000.0)
    np.testing.assert_allclose(closed_form.equity, looped.equity, rtol=1e-12)
    np.testing.assert_allclose(closed_form.fills.fee, looped.fills.fee, rtol=1e-12)


@pytest.mark.parametrize(
    "name", ["sma_crossover", "ema_crossover", "rsi_mean_reversion", "bollinger_breakout"]
)
def test_engine_agrees_with_the_exact_decimal_ledger_on_btc_hourly(btc_hourly, name):
    costs = CostModel(fee_rate=0.01, slippage_bps=5)
    result = run_backtest(btc_hourly, name, costs=costs, with_benchmark=False)
    ledger = result.exact_ledger()
    assert len(ledger.fills) == result.metrics.fill_count > 100
    fill_times = [fill.time for fill in ledger.fills]
    assert fill_times == list(btc_hourly.index[result.simulation.fills.bar])
    assert float(ledger.final_equity) == pytest.approx(result.metrics.final_equity, rel=1e-9)
    assert float(ledger.fees_paid) == pytest.approx(result.metrics.fees_paid, rel=1e-9)


def test_fractional_targets_agree_with_the_exact_ledger():
    rng = np.random.default_rng(11)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.02, 300)))
    index = pd.date_range("2024-01-01", periods=300, freq="h", tz="UTC")
    targets = np.round(rng.random(300), 2)
    costs = CostModel(fee_rate=0.01, slippage_bps=10, minimum_order_value=25.0)
    result = simulate(targets, prices, prices, costs, 10_000.0)
    ledger = replay_exact(index, targets, prices, prices, costs, Decimal(10_000))
    assert len(ledger.fills) == len(result.fills)
    assert float(ledger.final_equity) == pytest.approx(result.equity[-1], rel=1e-9)


def test_gst_split_reproduces_the_amounts_coinspot_reported():
    # ro/my/transactions item quoted in ccxt: audfeeExGst 1.80018002, audGst 0.180018.
    fee_ex_gst, gst = split_gst(Decimal("1.98019802"))
    assert (fee_ex_gst, gst) == (Decimal("1.80018002"), Decimal("0.18001800"))


def test_fee_given_as_a_percentage_number_is_refused_with_a_hint():
    with pytest.raises(BacktestError, match=r"fraction between 0 and 0.1 \(0.01 is 1%\), got 1"):
        CostModel(fee_rate=1)
