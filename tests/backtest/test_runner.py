"""run_backtest: clear errors for bad input, and results that serialise to JSON."""

import json

import numpy as np
import pandas as pd
import pytest

from omc.backtest.costs import CostModel
from omc.backtest.errors import (
    NoDataError,
    ParameterError,
    StrategyOutputError,
    TooFewBarsError,
    UnknownStrategyError,
)
from omc.backtest.runner import run_backtest
from omc.strategies import Parameter, Strategy


def hourly_bars(count: int, tz: str | None = "UTC") -> pd.DataFrame:
    rng = np.random.default_rng(1)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, count)))
    index = pd.date_range("2024-01-01", periods=count, freq="h", tz=tz)
    return pd.DataFrame({"open": closes, "close": closes}, index=index)


def test_empty_bars_raise_no_data():
    with pytest.raises(NoDataError, match="No price bars to backtest"):
        run_backtest(hourly_bars(0), "sma_crossover")


def test_too_few_bars_for_the_slow_average_says_how_many_are_needed():
    with pytest.raises(TooFewBarsError) as caught:
        run_backtest(hourly_bars(50), "sma_crossover", {"slow": 60})
    assert caught.value.message == (
        "Strategy sma_crossover (fast=20, slow=60) needs at least 61 bars; the data has 50."
    )


def test_unknown_strategy_and_out_of_range_parameter_raise_their_errors():
    with pytest.raises(UnknownStrategyError):
        run_backtest(hourly_bars(200), "moon_shot")
    with pytest.raises(ParameterError, match="between 3 and 5000, got 9000"):
        run_backtest(hourly_bars(200), "sma_crossover", {"slow": "9000"})


def test_naive_timestamps_are_taken_as_utc():
    result = run_backtest(hourly_bars(200, tz=None), "sma_crossover", {"fast": 5, "slow": 20})
    assert str(result.equity.index.tz) == "UTC"
    assert result.metrics.start == "2024-01-01T00:00:00+00:00"


def test_result_serialises_to_json_with_metrics_benchmark_trades_and_equity():
    result = run_backtest(hourly_bars(300), "sma_crossover", {"fast": 5, "slow": 20})
    decoded = json.loads(json.dumps(result.to_dict(include_equity=True)))
    assert decoded["params"] == {"fast": 5, "slow": 20}
    assert decoded["costs"] == {"fee_rate": 0.01, "slippage_bps": 0.0, "minimum_order_value": 0.0}
    assert decoded["metrics"]["trade_count"] == len(decoded["trades"]) > 0
    assert decoded["buy_and_hold"]["trade_count"] == 1
    assert len(decoded["equity"]) == 300


class OutOfBounds(Strategy):
    name = "out_of_bounds"
    description = "returns a target of 2"
    parameters = (Parameter("level", float, 2.0, 0.0, 5.0, "the target it returns"),)

    def targets(self, bars, params, features=None):
        return np.full(len(bars), params["level"])


def test_a_strategy_returning_targets_above_one_is_refused():
    with pytest.raises(StrategyOutputError, match=r"outside \[0, 1\] \(from 2.0 to 2.0\)"):
        run_backtest(hourly_bars(10), OutOfBounds(), costs=CostModel(0.0))


def test_a_strategy_instance_can_be_backtested_without_registering_it():
    result = run_backtest(hourly_bars(10), OutOfBounds(), {"level": 1.0}, CostModel(0.0))
    assert result.strategy == "out_of_bounds"
    assert result.metrics.fill_count == 1
