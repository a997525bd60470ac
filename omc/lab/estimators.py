"""The allow-list of estimators omc fits, their declared search spaces, and safe model files.

Only omc's own code builds and fits these; sandboxed code never does. Model files are written
in formats that do not run code when read: skops for scikit-learn (its untrusted types checked
against our own short list), the booster's own text/JSON format for LightGBM and XGBoost
(the optional `omc[boost]` extra).
"""

from __future__ import annotations

import importlib
import importlib.metadata
import itertools
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from omc.lab.errors import ArtifactMismatchError, EstimatorError

Task = Literal["classification", "regression"]
ParamValue = int | float | str | None

# Types inside scikit-learn estimators that skops does not trust by default but that are plain
# fitted state of the estimators on our allow-list (tree arrays, histogram predictors).
TRUSTED_SKOPS_TYPES = frozenset(
    {
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.link.IdentityLink",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn._loss.loss.HalfSquaredError",
        "sklearn._loss._loss.CyHalfBinomialLoss",
        "sklearn._loss._loss.CyHalfSquaredError",
    }
)


@dataclass(frozen=True)
class EstimatorKind:
    """One allow-listed estimator: its class, task, declared space and how its file is saved."""

    name: str
    task: Task
    class_path: str
    space: Mapping[str, tuple[ParamValue, ...]]
    fixed: Mapping[str, Any] = field(default_factory=dict)
    scaled: bool = False
    seeded: bool = True
    format: Literal["skops", "lightgbm", "xgboost"] = "skops"

    @property
    def package(self) -> str:
        return self.class_path.split(".", 1)[0]

    def available(self) -> bool:
        """Whether its library is installed (the boosters are an optional extra)."""
        try:
            importlib.import_module(self.class_path.rsplit(".", 1)[0])
        except ImportError:
            return False
        return True

    def grid(self) -> list[dict[str, ParamValue]]:
        """Every combination of the declared values."""
        names = list(self.space)
        return [
            dict(zip(names, values, strict=True))
            for values in itertools.product(*(self.space[name] for name in names))
        ]

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "task": self.task,
            "class": self.class_path,
            "space": {name: list(values) for name, values in self.space.items()},
            "available": self.available(),
        }


_FOREST = {"n_estimators": (50, 100), "max_depth": (3, 5, 8), "min_samples_leaf": (20, 100)}
_HIST = {
    "learning_rate": (0.05, 0.1),
    "max_depth": (2, 3, 5),
    "max_iter": (50, 100),
    "l2_regularization": (0.0, 1.0),
}
_LIGHTGBM = {"n_estimators": (50, 100), "learning_rate": (0.05, 0.1), "num_leaves": (7, 15, 31)}
_XGBOOST = {"n_estimators": (50, 100), "learning_rate": (0.05, 0.1), "max_depth": (2, 3, 5)}

ESTIMATORS: dict[str, EstimatorKind] = {
    kind.name: kind
    for kind in (
        EstimatorKind(
            "logistic_regression",
            "classification",
            "sklearn.linear_model.LogisticRegression",
            {"C": (0.01, 0.1, 1.0, 10.0)},
            {"max_iter": 1000},
            scaled=True,
        ),
        EstimatorKind(
            "ridge",
            "regression",
            "sklearn.linear_model.Ridge",
            {"alpha": (0.1, 1.0, 10.0, 100.0)},
            scaled=True,
            seeded=False,
        ),
        EstimatorKind(
            "random_forest_classifier",
            "classification",
            "sklearn.ensemble.RandomForestClassifier",
            _FOREST,
            {"n_jobs": 1},
        ),
        EstimatorKind(
            "random_forest_regressor",
            "regression",
            "sklearn.ensemble.RandomForestRegressor",
            _FOREST,
            {"n_jobs": 1},
        ),
        EstimatorKind(
            "hist_gradient_boosting_classifier",
            "classification",
            "sklearn.ensemble.HistGradientBoostingClassifier",
            _HIST,
            {"early_stopping": False},
        ),
        EstimatorKind(
            "hist_gradient_boosting_regressor",
            "regression",
            "sklearn.ensemble.HistGradientBoostingRegressor",
            _HIST,
            {"early_stopping": False},
        ),
        EstimatorKind(
            "lightgbm_classifier",
            "classification",
            "lightgbm.LGBMClassifier",
            _LIGHTGBM,
            {"n_jobs": 1, "verbose": -1},
            format="lightgbm",
        ),
        EstimatorKind(
            "lightgbm_regressor",
            "regression",
            "lightgbm.LGBMRegressor",
            _LIGHTGBM,
            {"n_jobs": 1, "verbose": -1},
            format="lightgbm",
        ),
        EstimatorKind(
            "xgboost_classifier",
            "classification",
            "xgboost.XGBClassifier",
            _XGBOOST,
            {"n_jobs": 1, "tree_method": "hist"},
            format="xgboost",
        ),
        EstimatorKind(
            "xgboost_regressor",
            "regression",
            "xgboost.XGBRegressor",
            _XGBOOST,
            {"n_jobs": 1, "tree_method": "hist"},
            format="xgboost",
        ),
    )
}


def estimator_kind(name: str) -> EstimatorKind:
    """The allow-listed estimator `name`; anything else is refused."""
    try:
        return ESTIMATORS[name]
    except KeyError:
        raise EstimatorError(
            f"Estimator '{name}' is not on the allow-list; choose one of: {', '.join(ESTIMATORS)}."
        ) from None


def check_params(kind: EstimatorKind, params: Mapping[str, Any]) -> dict[str, ParamValue]:
    """`params` checked against the declared space: known names, values within the declared
    range (numbers) or among the declared values (anything else); missing ones take the first
    declared value."""
    unknown = sorted(set(params) - set(kind.space))
    if unknown:
        raise EstimatorError(
            f"Parameter '{unknown[0]}' is not in the search space of {kind.name}; "
            f"its parameters are: {', '.join(kind.space)}."
        )
    checked: dict[str, ParamValue] = {}
    for name, declared in kind.space.items():
        value = params.get(name, declared[0])
        numbers = [item for item in declared if isinstance(item, int | float)]
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            low, high = min(numbers), max(numbers)
            if not low <= value <= high:
                raise EstimatorError(
                    f"Parameter '{name}' of {kind.name} must be between {low} and {high}, "
                    f"got {value}."
                )
            value = int(value) if all(isinstance(item, int) for item in numbers) else float(value)
        elif value not in declared:
            raise EstimatorError(
                f"Parameter '{name}' of {kind.name} must be one of {list(declared)}, got {value!r}."
            )
        checked[name] = value
    return checked


def build_estimator(name: str, params: Mapping[str, Any], seed: int) -> Any:
    """A new, unfitted estimator of an allow-listed kind with checked parameters."""
    kind = estimator_kind(name)
    if not kind.available():
        raise EstimatorError(
            f"Estimator {name} needs the {kind.package} package: pip install 'omc[boost]'."
        )
    module_name, class_name = kind.class_path.rsplit(".", 1)
    estimator_class = getattr(importlib.import_module(module_name), class_name)
    arguments = {**kind.fixed, **check_params(kind, params)}
    if kind.seeded:
        arguments["random_state"] = seed
    estimator = estimator_class(**arguments)
    if kind.scaled:
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler

        return make_pipeline(StandardScaler(), estimator)
    return estimator


def fit_estimator(name: str, params: Mapping[str, Any], seed: int, x: np.ndarray, y: np.ndarray):
    """Build and fit; a classifier whose training labels hold a single class is still usable
    (it predicts that class with certainty)."""
    kind = estimator_kind(name)
    if kind.task == "classification" and len(np.unique(y)) < 2:
        return ConstantModel(float(y[0]) if len(y) else 0.5)
    estimator = build_estimator(name, params, seed)
    estimator.fit(x, y.astype(np.int64) if kind.task == "classification" else y)
    return estimator


@dataclass(frozen=True)
class ConstantModel:
    """The model of a training window whose labels were all one class."""

    value: float


class BoosterModel:
    """A LightGBM or XGBoost booster read back from its own file format."""

    def __init__(self, kind: EstimatorKind, booster: Any) -> None:
        self.kind = kind
        self.booster = booster

    def scores(self, x: np.ndarray) -> np.ndarray:
        if self.kind.format == "xgboost":
            import xgboost

            return np.asarray(self.booster.predict(xgboost.DMatrix(x)), dtype=np.float64)
        return np.asarray(self.booster.predict(x), dtype=np.float64)


def model_scores(model: Any, x: np.ndarray, task: Task) -> np.ndarray:
    """The probability of the positive class (classification) or the predicted return."""
    if isinstance(model, ConstantModel):
        return np.full(len(x), model.value)
    if isinstance(model, BoosterModel):
        return model.scores(x)
    if task == "classification":
        probabilities = model.predict_proba(x)
        classes = list(model.classes_)
        if 1 in classes:
            return probabilities[:, classes.index(1)].astype(np.float64)
        return np.zeros(len(x))
    return np.asarray(model.predict(x), dtype=np.float64)


def dump_model(name: str, model: Any) -> tuple[bytes, str]:
    """The model's bytes and media type in a format that is safe to read back."""
    kind = estimator_kind(name)
    if isinstance(model, ConstantModel):
        return f'{{"constant": {model.value!r}}}'.encode(), "application/json"
    if kind.format == "lightgbm":
        return model.booster_.model_to_string().encode(), "text/plain"
    if kind.format == "xgboost":
        return bytes(model.get_booster().save_raw(raw_format="json")), "application/json"
    import skops.io

    return skops.io.dumps(model), "application/octet-stream"


def load_model(name: str, data: bytes) -> Any:
    """Read a model file written by :func:`dump_model` (its sha256 already checked)."""
    kind = estimator_kind(name)
    if data.startswith(b'{"constant": '):
        import json

        return ConstantModel(float(json.loads(data)["constant"]))
    if kind.format == "lightgbm":
        import lightgbm

        return BoosterModel(kind, lightgbm.Booster(model_str=data.decode()))
    if kind.format == "xgboost":
        import xgboost

        booster = xgboost.Booster()
        booster.load_model(bytearray(data))
        return BoosterModel(kind, booster)
    import skops.io

    untrusted = skops.io.get_untrusted_types(data=data)
    refused = sorted(set(untrusted) - TRUSTED_SKOPS_TYPES)
    if refused:
        raise ArtifactMismatchError(
            f"The model file of {name} holds types omc does not load: {', '.join(refused)}."
        )
    return skops.io.loads(data, trusted=list(untrusted))


def library_versions() -> dict[str, str]:
    """Versions of the libraries that shape a model's predictions, stored with the algorithm."""
    versions = {}
    for package in ("numpy", "pandas", "scikit-learn", "skops", "lightgbm", "xgboost"):
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            continue
    return versions


def sample_candidates(
    kinds: list[str], trials: int, seed: int
) -> list[tuple[str, dict[str, ParamValue]]]:
    """`trials` distinct (estimator, parameters) pairs drawn from the kinds' declared grids,
    spread over the kinds in turn; the same seed gives the same list."""
    rng = random.Random(seed)  # noqa: S311  (a reproducible search order, not a secret)
    pools = []
    for name in kinds:
        grid = estimator_kind(name).grid()
        rng.shuffle(grid)
        pools.append([(name, params) for params in grid])
    chosen: list[tuple[str, dict[str, ParamValue]]] = []
    while len(chosen) < trials and any(pools):
        for pool in pools:
            if pool and len(chosen) < trials:
                chosen.append(pool.pop(0))
    return chosen
