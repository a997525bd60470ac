"""An algorithm as a `Strategy`: feature code (in the sandbox), a fitted model, a decision rule.

Because it is a `Strategy`, `run_backtest`, the walk-forward, `omc backtest check` and the
trading floor run it unchanged. Its targets for bar t use only bars up to t and ledger rows
collected by t's decision time, which the lookahead check verifies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from omc.lab.decision import positions
from omc.lab.errors import FeatureCodeError
from omc.lab.estimators import estimator_kind, model_scores
from omc.lab.features import compute_features, empty_ledger_inputs
from omc.lab.labels import LabelSpec
from omc.strategies import Parameters, Strategy

LedgerLoader = Callable[[pd.DatetimeIndex], Mapping[str, pd.DataFrame]]
_LEDGER_NAMES = re.compile(r"\b(glass|human|catalyst)\b")


@dataclass(frozen=True)
class AlgorithmSpec:
    """Everything that defines an algorithm's predictions apart from its fitted state."""

    feature_source: str
    feature_columns: tuple[str, ...]
    label: LabelSpec
    model_kind: str
    model_params: Mapping[str, Any]
    decision: Mapping[str, Any]
    seed: int = 0
    warmup_bars: int = 0
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def task(self) -> str:
        return estimator_kind(self.model_kind).task

    @property
    def uses_ledgers(self) -> bool:
        """Whether the feature code reads any ledger input (else none need loading)."""
        return bool(_LEDGER_NAMES.search(self.feature_source))


def feature_matrix(features: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """The model's input columns, in its order; a column the code no longer makes is an error."""
    missing = [column for column in columns if column not in features.columns]
    if missing:
        raise FeatureCodeError(
            f"The feature code no longer produces the column(s) the model needs: "
            f"{', '.join(missing)}."
        )
    return features[list(columns)].to_numpy(dtype=np.float64)


def predict_scores(model: Any, spec: AlgorithmSpec, matrix: np.ndarray) -> np.ndarray:
    """Model scores per row; NaN on rows with any missing feature (warm-up)."""
    complete = np.isfinite(matrix).all(axis=1)
    scores = np.full(len(matrix), np.nan)
    if complete.any():
        scores[complete] = model_scores(model, matrix[complete], spec.task)  # type: ignore[arg-type]
    return scores


class AlgorithmStrategy(Strategy):
    """A stored (or just fitted) algorithm; its name is ``algo:NAME@VERSION``."""

    description = "A trained algorithm: features, model and decision rule (omc algo show)."
    parameters = ()

    def __init__(
        self,
        name: str,
        spec: AlgorithmSpec,
        model: Any,
        ledger_loader: LedgerLoader | None = None,
        description: str | None = None,
        version: int | None = None,
    ) -> None:
        self.name = name  # type: ignore[misc]
        self.version = version
        self.spec = spec
        self.model = model
        self.ledger_loader = ledger_loader
        if description:
            self.description = description  # type: ignore[misc]

    def warmup_bars(self, params: Parameters) -> int:
        return self.spec.warmup_bars

    def ledger_inputs(self, index: pd.DatetimeIndex) -> Mapping[str, pd.DataFrame]:
        if self.ledger_loader is None or not self.spec.uses_ledgers:
            return empty_ledger_inputs(index)
        return self.ledger_loader(index)

    def scores(self, bars: pd.DataFrame) -> np.ndarray:
        """The model's score per bar (NaN during the features' warm-up)."""
        features = compute_features(self.spec.feature_source, bars, self.ledger_inputs(bars.index))
        return predict_scores(
            self.model, self.spec, feature_matrix(features, self.spec.feature_columns)
        )

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        return positions(self.scores(bars), self.spec.decision)
