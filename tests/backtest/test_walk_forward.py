"""Walk-forward: window layout, parameter search, and stitched out-of-sample results."""

import json

import numpy as np
import pandas as pd
import pytest

from omc.backtest.costs import CostModel
from omc.backtest.errors import BacktestError, ParameterError, TooFewBarsError
from omc.backtest.search import grid_candidates, random_candidates
from omc.backtest.walk_forward import make_folds, run_walk_forward
from omc.strategies import get_strategy

DAILY = pd.date_range("2024-01-01", periods=100, freq="D", tz="UTC")


def test_rolling_folds_follow_each_other_with_the_embargo_between_train_and_test():
    folds = make_folds(DAILY, pd.Timedelta("30D"), pd.Timedelta("10D"), pd.Timedelta("2D"))
    assert [(f.train_start, f.train_end, f.test_start, f.test_end) for f in folds[:2]] == [
        (0, 30, 32, 42),
        (10, 40, 42, 52),
    ]
    assert folds[-1].test_start == 92
    assert folds[-1].test_end == 100
    assert all(fold.test_start - fold.train_end == 2 for fold in folds)


def test_anchored_folds_always_train_from_the_first_bar():
    folds = make_folds(DAILY, pd.Timedelta("30D"), pd.Timedelta("10D"), anchored=True)
    assert {fold.train_start for fold in folds} == {0}
    assert [fold.train_end for fold in folds[:3]] == [30, 40, 50]


def test_data_ending_before_the_first_test_bar_is_refused():
    with pytest.raises(TooFewBarsError, match="too short for a training window and embargo"):
        make_folds(DAILY, pd.Timedelta("90D"), pd.Timedelta("30D"), pd.Timedelta("10D"))


def test_grid_skips_inconsistent_combinations_but_refuses_out_of_range_values():
    strategy = get_strategy("sma_crossover")
    candidates = grid_candidates(strategy, {"fast": [5, 50], "slow": ["20", 100]})
    assert candidates.params == [
        {"fast": 5, "slow": 20},
        {"fast": 5, "slow": 100},
        {"fast": 50, "slow": 100},
    ]
    assert candidates.skipped == 1
    with pytest.raises(ParameterError, match="between 2 and 1000, got 0"):
        grid_candidates(strategy, {"fast": [0, 5]})


def test_random_search_is_reproducible_from_its_seed_and_stays_in_range():
    strategy = get_strategy("sma_crossover")
    first = random_candidates(strategy, 30, {"fast": (2, 50), "slow": (10, 200)}, seed=4)
    again = random_candidates(strategy, 30, {"fast": (2, 50), "slow": (10, 200)}, seed=4)
    assert first.params == again.params
    assert len(first.params) == 30
    assert all(2 <= p["fast"] <= 50 and p["fast"] < p["slow"] <= 200 for p in first.params)


def test_walk_forward_on_btc_hourly_chooses_per_fold_and_stitches_the_test_windows(btc_hourly):
    bars = btc_hourly.loc["2021-01-01":"2022-12-31"]
    calls = []
    result = run_walk_forward(
        bars,
        "sma_crossover",
        train="120D",
        test="60D",
        embargo="1D",
        grid={"fast": [10, 20, 50], "slow": [50, 100, 200]},
        costs=CostModel(fee_rate=0.001),
        progress=lambda done, total: calls.append((done, total)),
    )
    assert result.candidates == 8
    assert result.skipped_candidates == 1
    assert calls[-1] == (8, 8)
    # 730 days less 121 of training and embargo leave 609: ten 60-day folds and a partial one.
    assert len(result.folds) == 11
    assert result.folds[-1].test.bars < result.folds[0].test.bars
    for fold in result.folds:
        assert pd.Timestamp(fold.train_period[1]) < pd.Timestamp(fold.test_period[0])
        assert fold.params in [{"fast": f, "slow": s} for f in (10, 20, 50) for s in (50, 100, 200)]
    # Stitched equity compounds the folds' test returns, one after another.
    compounded = np.prod([1 + fold.test.total_return for fold in result.folds]) - 1
    assert result.out_of_sample.total_return == pytest.approx(compounded, rel=1e-9)
    assert result.out_of_sample.trade_count == sum(f.test.trade_count for f in result.folds)
    assert result.out_of_sample.start == result.folds[0].test.start
    assert result.out_of_sample.end == result.folds[-1].test_period[1]
    json.dumps(result.to_dict(include_equity=True))


def test_unknown_objective_is_refused():
    bars = pd.DataFrame({"close": np.arange(1.0, 101.0)}, index=DAILY)
    with pytest.raises(BacktestError, match="Unknown objective 'profit'"):
        run_walk_forward(bars, "momentum", train="30D", test="10D", objective="profit")
