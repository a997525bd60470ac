"""Reproduce an algorithm: reload the same bars (same span, as known at the same time), rerun
its feature code, refit its chosen model on every fold and on all the data with its seed, and
compare the predictions and the out-of-sample metrics with what was stored."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import Engine

from omc.backtest.costs import CostModel
from omc.backtest.data import BarsQuery
from omc.db import session_scope
from omc.lab import algorithms
from omc.lab.errors import AlgorithmError
from omc.lab.evaluation import Candidate, fit_final, search
from omc.lab.recipe import prepare
from omc.lab.strategy import feature_matrix, predict_scores
from omc.settings import LabSettings

COMPARED_METRICS = (
    "bars",
    "final_equity",
    "total_return",
    "sharpe",
    "max_drawdown",
    "trade_count",
    "fees_paid",
)


@dataclass(frozen=True)
class Reproduction:
    """What a refit gave beside what was stored."""

    reference: str
    predictions_compared: int
    largest_prediction_difference: float
    metrics: dict[str, tuple[Any, Any]]
    differences: list[str] = field(default_factory=list)

    @property
    def exact(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, object]:
        return {
            "algorithm": self.reference,
            "exact": self.exact,
            "predictions_compared": self.predictions_compared,
            "largest_prediction_difference": self.largest_prediction_difference,
            "metrics": {name: {"stored": a, "refit": b} for name, (a, b) in self.metrics.items()},
            "differences": self.differences,
        }


def _same(stored: Any, refit: Any) -> bool:
    if isinstance(refit, float) and not math.isfinite(refit):
        return stored is None  # stored as JSON, where a NaN or infinity is null
    if isinstance(stored, float) and isinstance(refit, float):
        return stored == refit or (math.isnan(stored) and math.isnan(refit))
    return stored == refit


def reproduce(
    engine: Engine, home: Path, reference: str, settings: LabSettings | None = None
) -> Reproduction:
    """Refit `reference` and compare; raises if the algorithm has no stored evaluation."""
    with session_scope(engine) as session:
        algorithm = algorithms.find_algorithm(session, reference)
        if not algorithm.evaluation or "config" not in algorithm.evaluation:
            raise AlgorithmError(
                f"{algorithms.reference_of(algorithm)} has no stored walk-forward to reproduce."
            )
        spec = algorithms.spec_of(algorithm)
        stored_model = algorithms.load_fitted_model(session, home, algorithm)
        evaluation = dict(algorithm.evaluation)
        name = algorithms.reference_of(algorithm)
        query = BarsQuery(
            algorithm.coins[0],
            algorithm.quote,
            algorithm.data_since,
            algorithm.data_until + dt.timedelta(microseconds=1),
            algorithm.as_of,
        )
    config = evaluation["config"]
    bar_seconds = float(algorithm.bar_seconds)
    with engine.connect() as connection:
        prepared = prepare(
            connection,
            query,
            dt.timedelta(seconds=spec.label.horizon_bars * bar_seconds),
            dt.timedelta(seconds=config["embargo_bars"] * bar_seconds),
            source=spec.feature_source,
        )
    chosen = Candidate(int(evaluation["chosen"]), spec.model_kind, spec.model_params)
    result = search(
        prepared.dataset,
        [chosen],
        folds=int(config["folds"]),
        embargo_bars=int(config["embargo_bars"]),
        seed=spec.seed,
        decision=spec.decision,
        costs=CostModel(**config["costs"]),
        initial_cash=float(config["initial_cash"]),
        settings=settings,
    )
    refit = fit_final(prepared.dataset, chosen, spec.seed)
    matrix = feature_matrix(prepared.dataset.features, spec.feature_columns)
    stored_scores = predict_scores(stored_model, spec, matrix)
    refit_scores = predict_scores(refit, spec, matrix)
    known = np.isfinite(stored_scores) | np.isfinite(refit_scores)
    difference = np.abs(np.nan_to_num(stored_scores[known]) - np.nan_to_num(refit_scores[known]))
    largest = float(difference.max()) if difference.size else 0.0
    differences = []
    if largest != 0.0 or not np.array_equal(np.isfinite(stored_scores), np.isfinite(refit_scores)):
        differences.append(f"predictions differ by up to {largest:.3g}")
    metrics = {}
    stored_metrics = evaluation["out_of_sample"]
    refit_metrics = result.chosen.metrics.to_dict()
    for metric in COMPARED_METRICS:
        metrics[metric] = (stored_metrics.get(metric), refit_metrics.get(metric))
        if not _same(*metrics[metric]):
            differences.append(f"{metric}: stored {metrics[metric][0]}, refit {metrics[metric][1]}")
    if config["horizon_bars"] != prepared.horizon_bars:
        differences.append("the label horizon in bars changed (different bar spacing)")
    return Reproduction(name, int(known.sum()), largest, metrics, differences)
