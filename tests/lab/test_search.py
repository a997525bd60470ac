"""The search on its own: a regression label with Ridge, every trial counted, PBO only from 8
candidates, the same seed giving the same out-of-sample record."""

from __future__ import annotations

import numpy as np
import pytest

from omc.backtest.costs import CostModel
from omc.backtest.synthetic import synthetic_bars
from omc.lab.decision import default_decision
from omc.lab.estimators import sample_candidates
from omc.lab.evaluation import Candidate, build_dataset, search
from omc.lab.features import compute_features, standard_feature_source
from omc.lab.labels import LabelSpec
from omc.settings import LabSettings


@pytest.fixture(scope="module")
def features():
    bars = synthetic_bars(1500, minutes=60, seed=4)
    return bars, compute_features(standard_feature_source(3600.0, {}), bars)


def _search(dataset, kinds, trials):
    candidates = [
        Candidate(number, kind, params)
        for number, (kind, params) in enumerate(sample_candidates(kinds, trials, 0), start=1)
    ]
    return search(
        dataset,
        candidates,
        folds=3,
        embargo_bars=2,
        seed=0,
        decision=default_decision(classification=dataset.label.is_classification),
        costs=CostModel(fee_rate=0.001),
        initial_cash=10_000.0,
        settings=LabSettings(parallel_jobs=1),
    )


def test_a_regression_label_with_ridge_is_searched_and_counted(features):
    bars, frame = features
    dataset = build_dataset(bars, frame, LabelSpec("regression", 6))
    result = _search(dataset, ["ridge"], 4)
    assert len(result.trials) == 4
    assert result.deflated_sharpe.trials == 4
    assert result.overfitting is None  # fewer than 8 candidates
    assert result.chosen.metrics.bars == result.buy_and_hold.bars
    finite = np.isfinite(result.chosen.scores)
    assert finite.mean() > 0.9  # predicted returns, not probabilities
    assert (result.chosen.scores[finite] < 0).any()


def test_eight_candidates_get_a_pbo_and_the_same_seed_the_same_record(features):
    bars, frame = features
    dataset = build_dataset(bars, frame, LabelSpec("threshold", 6, threshold=0.002))
    kinds = ["logistic_regression", "hist_gradient_boosting_classifier"]
    first, second = _search(dataset, kinds, 8), _search(dataset, kinds, 8)
    assert first.overfitting is not None
    assert first.overfitting.candidates == 8
    assert first.best == second.best
    assert np.array_equal(first.chosen.equity.to_numpy(), second.chosen.equity.to_numpy())
    assert first.chosen.sharpe == max(t.sharpe for t in first.trials if t.sharpe is not None)
