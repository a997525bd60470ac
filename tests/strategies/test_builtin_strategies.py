"""Built-in strategies and their indicators, on small hand-made series."""

import numpy as np
import pandas as pd
import pytest

from omc.strategies import get_strategy
from omc.strategies.indicators import (
    hold_between,
    relative_strength_index,
    simple_moving_average,
)


def bars_from_closes(closes, column="close") -> pd.DataFrame:
    index = pd.date_range("2024-01-01", periods=len(closes), freq="h", tz="UTC")
    return pd.DataFrame({column: np.asarray(closes, dtype=float)}, index=index)


def random_walk(count: int = 600, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return bars_from_closes(100.0 * np.exp(np.cumsum(rng.normal(0, 0.01, count))))


def test_simple_moving_average_matches_pandas_rolling_mean():
    values = random_walk()["close"].to_numpy()
    expected = pd.Series(values).rolling(7).mean().to_numpy()
    np.testing.assert_allclose(simple_moving_average(values, 7), expected, rtol=1e-12)


def test_simple_moving_average_is_all_missing_when_the_period_exceeds_the_data():
    assert np.isnan(simple_moving_average(np.arange(3.0), 5)).all()


def test_rsi_of_a_steadily_rising_series_is_100_after_warm_up():
    rsi = relative_strength_index(np.arange(1.0, 30.0), 14)
    assert np.isnan(rsi[:14]).all()
    assert (rsi[14:] == 100.0).all()


def test_hold_between_stays_long_from_entry_until_exit():
    entries = np.array([False, True, False, False, True, False, False])
    exits = np.array([False, False, False, True, False, False, True])
    assert hold_between(entries, exits).tolist() == [0, 1, 1, 0, 1, 1, 0]


@pytest.mark.parametrize(
    "name",
    [
        "buy_and_hold",
        "sma_crossover",
        "ema_crossover",
        "rsi_mean_reversion",
        "bollinger_breakout",
        "momentum",
    ],
)
def test_builtin_returns_one_target_in_zero_to_one_per_bar_and_is_flat_in_warm_up(name):
    strategy = get_strategy(name)
    params = strategy.resolve_parameters()
    bars = random_walk()
    targets = strategy.targets(bars, params)
    assert targets.shape == (len(bars),)
    assert ((targets == 0.0) | (targets == 1.0)).all()
    assert (targets[: strategy.warmup_bars(params)] == 0.0).all()


def test_sma_crossover_is_long_exactly_while_the_fast_average_is_above_the_slow_one():
    bars = random_walk()
    closes = bars["close"]
    expected = (closes.rolling(5).mean() > closes.rolling(20).mean()).to_numpy(dtype=float)
    targets = get_strategy("sma_crossover").targets(bars, {"fast": 5, "slow": 20})
    assert targets.tolist() == expected.tolist()
    assert 0 < targets.sum() < len(targets)


def test_strategies_read_last_prices_when_bars_have_no_close():
    with_close = random_walk()
    with_last = with_close.rename(columns={"close": "last"})
    strategy = get_strategy("momentum")
    params = {"lookback": 5, "threshold": 0.0}
    assert strategy.targets(with_last, params).tolist() == (
        strategy.targets(with_close, params).tolist()
    )


def test_momentum_is_long_only_when_the_lookback_return_beats_the_threshold():
    bars = bars_from_closes([100, 100, 110, 99, 120, 100])
    targets = get_strategy("momentum").targets(bars, {"lookback": 2, "threshold": 0.05})
    # returns over 2 bars: -, -, +10%, -1%, +9.1%, +1.0%
    assert targets.tolist() == [0, 0, 1, 0, 1, 0]


def test_bollinger_breakout_enters_above_the_upper_band_and_exits_below_the_middle():
    closes = [10.0] * 5 + [10.1, 9.9, 10.0, 14.0, 13.0, 9.0, 9.0]
    targets = get_strategy("bollinger_breakout").targets(
        bars_from_closes(closes), {"period": 5, "width": 1.0}
    )
    assert targets.tolist() == [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0]
