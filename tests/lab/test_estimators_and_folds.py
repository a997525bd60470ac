"""Allow-listed estimators, safe model files, labels, decision rules and the purged folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omc.lab.decision import positions
from omc.lab.errors import ArtifactMismatchError, EstimatorError, TooLittleDataError
from omc.lab.estimators import (
    ESTIMATORS,
    build_estimator,
    check_params,
    dump_model,
    estimator_kind,
    fit_estimator,
    load_model,
    model_scores,
    sample_candidates,
)
from omc.lab.labels import LabelSpec, make_label
from omc.lab.walk_forward import check_enough_rows, purged_folds


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3))
    return x, (x[:, 0] + rng.normal(size=400) > 0).astype(float), x[:, 1] + rng.normal(size=400)


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
def test_every_allow_listed_model_reads_back_with_identical_predictions(name, data):
    x, classes, values = data
    kind = estimator_kind(name)
    if not kind.available():
        pytest.skip(f"{kind.package} is not installed (omc[boost])")
    model = fit_estimator(name, {}, 7, x, classes if kind.task == "classification" else values)
    blob, _ = dump_model(name, model)
    assert not blob.startswith(b"\x80")  # never a pickle
    again = load_model(name, blob)
    assert np.array_equal(model_scores(model, x, kind.task), model_scores(again, x, kind.task))


def test_the_same_seed_fits_the_same_model(data):
    x, classes, _ = data
    first = fit_estimator("random_forest_classifier", {"n_estimators": 50}, 3, x, classes)
    second = fit_estimator("random_forest_classifier", {"n_estimators": 50}, 3, x, classes)
    other = fit_estimator("random_forest_classifier", {"n_estimators": 50}, 4, x, classes)
    scores = model_scores(first, x, "classification")
    assert np.array_equal(scores, model_scores(second, x, "classification"))
    assert not np.array_equal(scores, model_scores(other, x, "classification"))


def test_estimators_off_the_allow_list_or_outside_their_space_are_refused():
    with pytest.raises(EstimatorError, match="not on the allow-list"):
        build_estimator("sklearn.svm.SVC", {}, 0)
    with pytest.raises(EstimatorError, match=r"between 0\.01 and 10\.0"):
        check_params(estimator_kind("logistic_regression"), {"C": 1000.0})
    with pytest.raises(EstimatorError, match="not in the search space"):
        check_params(estimator_kind("ridge"), {"solver": "svd"})
    assert check_params(estimator_kind("logistic_regression"), {"C": 0.5}) == {"C": 0.5}


def test_a_skops_file_holding_an_unexpected_type_is_refused():
    import os

    import skops.io
    from sklearn.preprocessing import FunctionTransformer

    blob = skops.io.dumps(FunctionTransformer(func=os.system))
    with pytest.raises(ArtifactMismatchError, match=r"types omc does not load: posix.system"):
        load_model("logistic_regression", blob)


def test_candidates_are_spread_over_the_kinds_and_repeat_with_the_seed():
    kinds = ["logistic_regression", "random_forest_classifier"]
    first = sample_candidates(kinds, 6, seed=1)
    assert first == sample_candidates(kinds, 6, seed=1)
    assert [name for name, _ in first] == kinds * 3
    assert len({(name, tuple(sorted(p.items()))) for name, p in first}) == 6
    assert len(sample_candidates(["logistic_regression"], 50, seed=1)) == 4  # its whole grid


def test_labels_are_the_forward_return_sign_or_threshold_and_unknown_at_the_end():
    index = pd.date_range("2024-01-01", periods=5, freq="h", tz="UTC")
    bars = pd.DataFrame({"close": [100.0, 110.0, 99.0, 120.0, 121.0]}, index=index)
    sign = make_label(bars, LabelSpec("sign", 2)).to_numpy()
    assert np.array_equal(sign[:3], [0.0, 1.0, 1.0])
    assert np.isnan(sign[3:]).all()
    threshold = make_label(bars, LabelSpec("threshold", 1, threshold=0.05)).to_numpy()
    assert np.array_equal(threshold[:4], [1.0, 0.0, 1.0, 0.0])
    regression = make_label(bars, LabelSpec("regression", 1)).to_numpy()
    assert regression[0] == pytest.approx(0.1)
    assert LabelSpec("sign", 24).to_dict(3600.0)["horizon_seconds"] == 86400


def test_threshold_rule_holds_between_entry_and_exit_and_missing_scores_are_flat():
    scores = np.array([np.nan, 0.6, 0.5, 0.44, 0.56, np.nan, 0.7])
    held = positions(scores, {"rule": "threshold", "enter": 0.55, "exit": 0.45})
    assert held.tolist() == [0, 1, 1, 0, 1, 0, 1]
    sized = positions(
        np.array([0.4, 0.6, 0.9]), {"rule": "confidence", "floor": 0.5, "ceiling": 0.8}
    )
    assert sized.tolist() == pytest.approx([0.0, 1 / 3, 1.0])


def test_purged_folds_equal_time_series_split_with_the_purge_as_gap():
    from sklearn.model_selection import TimeSeriesSplit

    positions_ = np.arange(100, 1200)
    folds = purged_folds(positions_, folds=10, horizon_bars=24, embargo_bars=6)
    splits = list(TimeSeriesSplit(n_splits=10, gap=30).split(positions_))
    assert len(folds) == 10
    for fold, (train, test) in zip(folds, splits, strict=True):
        assert np.array_equal(fold.train_rows, train)
        assert np.array_equal(np.arange(fold.test_start, fold.test_end), test)
        # no training label window reaches into the test window, nor into the embargo before it
        assert positions_[fold.train_rows].max() + 24 + 6 < positions_[fold.test_start]


def test_purging_follows_bar_positions_across_gaps_in_the_rows():
    positions_ = np.concatenate([np.arange(0, 500), np.arange(520, 1000)])
    for fold in purged_folds(positions_, folds=4, horizon_bars=10, embargo_bars=0):
        assert positions_[fold.train_rows].max() + 10 < positions_[fold.test_start]


def test_too_little_data_says_how_much_is_needed():
    with pytest.raises(TooLittleDataError, match=r"need at least 550 bars \(about 23 days"):
        check_enough_rows(300, folds=10, horizon_bars=24, embargo_bars=0, bar_seconds=3600)
    check_enough_rows(550, folds=10, horizon_bars=24, embargo_bars=0, bar_seconds=3600)
