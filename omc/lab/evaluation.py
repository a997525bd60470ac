"""Honest evaluation of model candidates: the purged walk-forward, the stitched out-of-sample
backtest beside buy-and-hold, every trial's Sharpe ratio for the deflated Sharpe ratio and PBO,
and permutation importance on the out-of-sample folds.

Fits are independent tasks (one per candidate and fold) run through :mod:`omc.lab.parallel`.
Every candidate tried is counted: the count goes into the deflated Sharpe ratio and is stored.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel
from omc.backtest.engine import simulate
from omc.backtest.execution import execution_prices, mark_prices, prepare_bars
from omc.backtest.metrics import Metrics, bar_returns, bar_spacing_seconds, compute_metrics
from omc.backtest.trades import round_trips
from omc.lab.decision import positions
from omc.lab.estimators import estimator_kind, fit_estimator, model_scores
from omc.lab.labels import LabelSpec, make_label
from omc.lab.overfitting import (
    DeflatedSharpe,
    OverfittingProbability,
    deflated_sharpe_ratio,
    per_bar_sharpe,
    probability_of_backtest_overfitting,
)
from omc.lab.parallel import Progress, run_tasks
from omc.lab.walk_forward import ModelFold, check_enough_rows, purged_folds
from omc.settings import LabSettings

IMPORTANCE_REPEATS = 3


@dataclass(frozen=True)
class Dataset:
    """Bars, their features and label, and the usable rows (every feature and the label known)
    as a matrix: `rows` are bar positions, `x` and `y` the model's inputs."""

    bars: pd.DataFrame
    features: pd.DataFrame
    label: LabelSpec
    rows: np.ndarray
    x: np.ndarray
    y: np.ndarray
    bar_seconds: float

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.features.columns)

    @property
    def warmup_bars(self) -> int:
        """Leading bars with some feature undefined."""
        complete = np.isfinite(self.features.to_numpy()).all(axis=1)
        return int(np.argmax(complete)) if complete.any() else len(complete)


def build_dataset(bars: pd.DataFrame, features: pd.DataFrame, label: LabelSpec) -> Dataset:
    bars = prepare_bars(bars)
    target = make_label(bars, label).to_numpy()
    values = features.to_numpy(dtype=np.float64)
    usable = np.isfinite(values).all(axis=1) & np.isfinite(target)
    rows = np.flatnonzero(usable)
    return Dataset(
        bars, features, label, rows, values[rows], target[rows], bar_spacing_seconds(bars.index)
    )


@dataclass(frozen=True)
class Candidate:
    """One trial: an allow-listed estimator with parameters from its declared space."""

    number: int
    model_kind: str
    params: Mapping[str, Any]

    def to_dict(self) -> dict[str, object]:
        return {"trial": self.number, "model_kind": self.model_kind, "params": dict(self.params)}


@dataclass(frozen=True)
class OutOfSample:
    """A candidate's stitched out-of-sample record over the test windows."""

    candidate: Candidate
    scores: np.ndarray  # per bar of the out-of-sample span (NaN: no prediction)
    targets: np.ndarray
    equity: pd.Series
    metrics: Metrics
    returns: np.ndarray

    @property
    def sharpe(self) -> float | None:
        return per_bar_sharpe(self.returns)


@dataclass(frozen=True)
class SearchResult:
    """Every trial's out-of-sample record, the chosen one, and the overfitting measures."""

    dataset: Dataset
    folds: list[ModelFold]
    horizon_bars: int
    embargo_bars: int
    trials: list[OutOfSample]
    best: int
    buy_and_hold: Metrics
    buy_and_hold_equity: pd.Series
    deflated_sharpe: DeflatedSharpe
    overfitting: OverfittingProbability | None

    @property
    def chosen(self) -> OutOfSample:
        return self.trials[self.best]

    @property
    def span(self) -> slice:
        """The out-of-sample span as bar positions."""
        rows = self.dataset.rows
        return slice(
            int(rows[self.folds[0].test_start]), int(rows[self.folds[-1].test_end - 1]) + 1
        )


def fit_and_score(
    model_kind: str,
    params: Mapping[str, Any],
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    train_rows: np.ndarray,
    test_start: int,
    test_end: int,
) -> np.ndarray:
    """One fold of one candidate: fit on the training rows, score the test block."""
    kind = estimator_kind(model_kind)
    model = fit_estimator(model_kind, params, seed, x[train_rows], y[train_rows])
    return model_scores(model, x[test_start:test_end], kind.task)


def _score_for_importance(task: str, y: np.ndarray, scores: np.ndarray) -> float:
    if task == "classification":
        from sklearn.metrics import roc_auc_score

        if len(np.unique(y)) < 2:
            return float(np.mean((scores > 0.5) == (y > 0.5)))
        return float(roc_auc_score(y, scores))
    from sklearn.metrics import r2_score

    return float(r2_score(y, scores))


def fold_importance(
    model_kind: str,
    params: Mapping[str, Any],
    seed: int,
    x: np.ndarray,
    y: np.ndarray,
    train_rows: np.ndarray,
    test_start: int,
    test_end: int,
) -> np.ndarray:
    """Permutation importance on one out-of-sample fold: the drop in the fold's score (ROC AUC,
    or R² for a regression) when a feature's test values are shuffled, averaged over repeats."""
    kind = estimator_kind(model_kind)
    model = fit_estimator(model_kind, params, seed, x[train_rows], y[train_rows])
    x_test, y_test = x[test_start:test_end], y[test_start:test_end]
    baseline = _score_for_importance(kind.task, y_test, model_scores(model, x_test, kind.task))
    rng = np.random.default_rng(seed)
    drops = np.zeros(x.shape[1])
    for column in range(x.shape[1]):
        for _ in range(IMPORTANCE_REPEATS):
            shuffled = x_test.copy()
            shuffled[:, column] = rng.permutation(shuffled[:, column])
            score = _score_for_importance(
                kind.task, y_test, model_scores(model, shuffled, kind.task)
            )
            drops[column] += (baseline - score) / IMPORTANCE_REPEATS
    return drops


def out_of_sample_scores(
    dataset: Dataset, folds: list[ModelFold], fold_scores: Sequence[np.ndarray]
) -> np.ndarray:
    """Per bar of the out-of-sample span: the fold model's score, NaN on unusable bars."""
    rows = dataset.rows
    start, end = int(rows[folds[0].test_start]), int(rows[folds[-1].test_end - 1]) + 1
    scores = np.full(end - start, np.nan)
    for fold, values in zip(folds, fold_scores, strict=True):
        scores[rows[fold.test_start : fold.test_end] - start] = values
    return scores


def backtest_span(
    bars: pd.DataFrame,
    span: slice,
    targets: np.ndarray,
    costs: CostModel,
    initial_cash: float,
) -> tuple[Metrics, pd.Series]:
    """Run the engine on the bars of `span` with `targets` (one per bar of the span)."""
    window = bars.iloc[span]
    marks = mark_prices(window)
    simulation = simulate(targets, execution_prices(window, marks), marks, costs, initial_cash)
    trades = round_trips(simulation.fills, float(marks[-1]))
    metrics = compute_metrics(window.index, simulation, trades, marks)
    return metrics, pd.Series(simulation.equity, index=window.index, name="equity")


def judge(
    dataset: Dataset,
    folds: list[ModelFold],
    candidate: Candidate,
    fold_scores: Sequence[np.ndarray],
    decision: Mapping[str, Any],
    costs: CostModel,
    initial_cash: float,
) -> OutOfSample:
    """A candidate's stitched out-of-sample record from its folds' scores."""
    scores = out_of_sample_scores(dataset, folds, fold_scores)
    rows = dataset.rows
    span = slice(int(rows[folds[0].test_start]), int(rows[folds[-1].test_end - 1]) + 1)
    targets = positions(scores, decision)
    metrics, equity = backtest_span(dataset.bars, span, targets, costs, initial_cash)
    return OutOfSample(candidate, scores, targets, equity, metrics, bar_returns(equity.to_numpy()))


def search(
    dataset: Dataset,
    candidates: Sequence[Candidate],
    *,
    folds: int,
    embargo_bars: int,
    seed: int,
    decision: Mapping[str, Any],
    costs: CostModel,
    initial_cash: float,
    settings: LabSettings | None = None,
    progress: Progress | None = None,
) -> SearchResult:
    """Walk every candidate forward over the purged folds and pick the best out-of-sample
    Sharpe ratio, with the deflated Sharpe ratio and PBO measuring how lucky that pick is."""
    horizon = dataset.label.horizon_bars
    check_enough_rows(len(dataset.rows), folds, horizon, embargo_bars, dataset.bar_seconds)
    model_folds = purged_folds(dataset.rows, folds, horizon, embargo_bars)
    tasks = [
        (
            candidate.model_kind,
            dict(candidate.params),
            seed,
            dataset.x,
            dataset.y,
            fold.train_rows,
            fold.test_start,
            fold.test_end,
        )
        for candidate in candidates
        for fold in model_folds
    ]
    scores = run_tasks(fit_and_score, tasks, settings, progress)
    count = len(model_folds)
    trials = [
        judge(
            dataset,
            model_folds,
            candidate,
            scores[number * count : (number + 1) * count],
            decision,
            costs,
            initial_cash,
        )
        for number, candidate in enumerate(candidates)
    ]
    sharpes = [trial.sharpe for trial in trials]
    best = int(np.argmax([-np.inf if value is None else value for value in sharpes]))
    span = slice(
        int(dataset.rows[model_folds[0].test_start]),
        int(dataset.rows[model_folds[-1].test_end - 1]) + 1,
    )
    hold_metrics, hold_equity = backtest_span(
        dataset.bars, span, np.ones(span.stop - span.start), costs, initial_cash
    )
    matrix = np.column_stack([trial.returns for trial in trials])
    return SearchResult(
        dataset=dataset,
        folds=model_folds,
        horizon_bars=horizon,
        embargo_bars=embargo_bars,
        trials=trials,
        best=best,
        buy_and_hold=hold_metrics,
        buy_and_hold_equity=hold_equity.rename("buy_and_hold"),
        deflated_sharpe=deflated_sharpe_ratio(trials[best].returns, sharpes),
        overfitting=probability_of_backtest_overfitting(matrix),
    )


def permutation_importance(
    result: SearchResult, seed: int, settings: LabSettings | None = None
) -> list[dict[str, object]]:
    """The chosen candidate's permutation importance per feature, mean and spread over folds,
    most important first."""
    candidate = result.chosen.candidate
    dataset = result.dataset
    tasks = [
        (
            candidate.model_kind,
            dict(candidate.params),
            seed,
            dataset.x,
            dataset.y,
            fold.train_rows,
            fold.test_start,
            fold.test_end,
        )
        for fold in result.folds
    ]
    drops = np.array(run_tasks(fold_importance, tasks, settings))
    rows = [
        {
            "feature": column,
            "importance": float(drops[:, index].mean()),
            "spread": float(drops[:, index].std(ddof=0)),
        }
        for index, column in enumerate(dataset.columns)
    ]
    return sorted(rows, key=lambda row: -float(row["importance"]))  # type: ignore[arg-type]


def fit_final(dataset: Dataset, candidate: Candidate, seed: int) -> Any:
    """The chosen candidate fitted on every usable row: the model the algorithm stores."""
    return fit_estimator(candidate.model_kind, candidate.params, seed, dataset.x, dataset.y)
