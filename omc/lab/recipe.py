"""The recipe: an algorithm without an LLM.

Standard features (through the sandbox) on one market's bars and the ledgers' as-of series, a
sign label over the horizon, a small search over allow-listed models with the purged
walk-forward, and the best candidate stored as a `draft` algorithm with its whole evaluation,
its trial count and its report. The lab falls back to this when no LLM is configured.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.engine import Engine

from omc.backtest.costs import CostModel
from omc.backtest.data import BarsQuery, load_bars
from omc.backtest.lookahead import check_lookahead
from omc.backtest.runner import DEFAULT_INITIAL_CASH
from omc.db import session_scope, utcnow
from omc.lab import algorithms
from omc.lab.decision import default_decision
from omc.lab.errors import AlgorithmError
from omc.lab.estimators import estimator_kind, sample_candidates
from omc.lab.evaluation import (
    Candidate,
    Dataset,
    SearchResult,
    build_dataset,
    fit_final,
    permutation_importance,
    search,
)
from omc.lab.features import compute_features, standard_feature_source
from omc.lab.labels import LabelSpec, horizon_in_bars
from omc.lab.ledger_inputs import ledger_columns, load_ledger_inputs
from omc.lab.models import AgentSession
from omc.lab.parallel import Progress
from omc.lab.report import markdown_report, report_png
from omc.lab.strategy import AlgorithmSpec, AlgorithmStrategy
from omc.settings import LabSettings

RECIPE_CLASSIFIERS = (
    "logistic_regression",
    "random_forest_classifier",
    "hist_gradient_boosting_classifier",
)
LOOKAHEAD_TRUNCATIONS = 20
Stage = Callable[[str], None]


@dataclass(frozen=True)
class RecipeOptions:
    """What `omc lab recipe` was asked for."""

    coin: str
    quote: str = "AUD"
    horizon: dt.timedelta = dt.timedelta(hours=24)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    as_of: dt.datetime | None = None
    trials: int = 20
    folds: int = 10
    embargo: dt.timedelta | None = None  # default: one horizon
    name: str | None = None
    seed: int = 0
    models: Sequence[str] = RECIPE_CLASSIFIERS
    costs: CostModel = field(default_factory=CostModel)
    initial_cash: float = DEFAULT_INITIAL_CASH

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise AlgorithmError(f"The recipe needs at least 1 trial, got {self.trials}.")
        if self.folds < 2:
            raise AlgorithmError(f"The walk-forward needs at least 2 folds, got {self.folds}.")
        if self.horizon <= dt.timedelta(0):
            raise AlgorithmError("The horizon must be positive.")
        for model in self.models:
            kind = estimator_kind(model)
            if not kind.available():
                raise AlgorithmError(
                    f"Estimator {model} needs the {kind.package} package: pip install 'omc[boost]'."
                )
            if kind.task != "classification":
                raise AlgorithmError(
                    f"The recipe predicts the sign of the return; {model} is a regression model."
                )

    def default_name(self) -> str:
        hours = self.horizon.total_seconds() / 3600
        return f"{self.coin}-{self.quote}-{hours:g}h-recipe".lower()


@dataclass(frozen=True)
class RecipeResult:
    """The stored algorithm and where its report is."""

    name: str
    version: int
    reference: str
    evaluation: Mapping[str, Any]
    report_path: Path
    plot_path: Path
    session_id: uuid.UUID

    def to_dict(self) -> dict[str, object]:
        return {
            "algorithm": self.reference,
            "name": self.name,
            "version": self.version,
            "status": "draft",
            "report": str(self.report_path),
            "plot": str(self.plot_path),
            "session_id": str(self.session_id),
            "evaluation": dict(self.evaluation),
        }


@dataclass(frozen=True)
class Prepared:
    """Bars, ledger inputs, feature source and dataset: everything before the search."""

    bars: pd.DataFrame
    inputs: Mapping[str, pd.DataFrame]
    source: str
    dataset: Dataset
    horizon_bars: int
    embargo_bars: int


def prepare(
    connectable: Any,
    query: BarsQuery,
    horizon: dt.timedelta,
    embargo: dt.timedelta | None,
    source: str | None = None,
) -> Prepared:
    """Load bars and ledgers, run the feature code in the sandbox, and label the rows."""
    bars = load_bars(connectable, query)
    if len(bars) < 3:
        raise AlgorithmError(f"Only {len(bars)} bars of {query.market}: far too few to learn from.")
    from omc.backtest.metrics import bar_spacing_seconds

    bar_seconds = bar_spacing_seconds(bars.index)
    horizon_bars = horizon_in_bars(horizon.total_seconds(), bar_seconds)
    embargo_bars = horizon_bars if embargo is None else round(embargo.total_seconds() / bar_seconds)
    inputs = load_ledger_inputs(connectable, query.coin, bars.index, query.as_of)
    if source is None:
        source = standard_feature_source(bar_seconds, ledger_columns(inputs))
    features = compute_features(source, bars, inputs)
    dataset = build_dataset(bars, features, LabelSpec("sign", horizon_bars))
    return Prepared(bars, inputs, source, dataset, horizon_bars, embargo_bars)


def _sliced_inputs(inputs: Mapping[str, pd.DataFrame]):  # type: ignore[no-untyped-def]
    """A ledger loader over already aligned inputs (each bar's values are as of its close)."""

    def loader(index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
        return {name: frame.loc[index] for name, frame in inputs.items()}

    return loader


def evaluation_record(
    prepared: Prepared,
    result: SearchResult,
    importance: list[dict[str, object]],
    lookahead: Any,
    options: RecipeOptions,
) -> dict[str, Any]:
    """The stored evaluation: configuration, folds, every trial, the chosen one's metrics."""
    dataset = prepared.dataset
    times = dataset.bars.index[dataset.rows]
    return algorithms.json_safe(
        {
            "config": {
                "folds": options.folds,
                "horizon_bars": prepared.horizon_bars,
                "embargo_bars": prepared.embargo_bars,
                "trials": len(result.trials),
                "models": list(options.models),
                "costs": options.costs.to_dict(),
                "initial_cash": options.initial_cash,
            },
            "folds": [fold.describe(times) for fold in result.folds],
            "trials": [
                {
                    **trial.candidate.to_dict(),
                    "sharpe": trial.sharpe,
                    "total_return": trial.metrics.total_return,
                }
                for trial in result.trials
            ],
            "chosen": result.chosen.candidate.number,
            "out_of_sample": result.chosen.metrics.to_dict(),
            "buy_and_hold": result.buy_and_hold.to_dict(),
            "deflated_sharpe": result.deflated_sharpe.to_dict(),
            "pbo": result.overfitting.to_dict() if result.overfitting else None,
            "lookahead": lookahead.to_dict(),
            "importance": importance,
        }
    )


def run_recipe(
    engine: Engine,
    home: Path,
    options: RecipeOptions,
    *,
    settings: LabSettings | None = None,
    user_id: uuid.UUID | None = None,
    progress: Progress | None = None,
    stage: Stage | None = None,
) -> RecipeResult:
    """Build, evaluate and store an algorithm for one market; returns where it is."""
    say = stage or (lambda text: None)
    name = algorithms.check_name(options.name or options.default_name())
    as_of = options.as_of or utcnow()
    query = BarsQuery(options.coin, options.quote, options.since, options.until, as_of)
    with session_scope(engine) as session:
        record = AgentSession(
            user_id=user_id,
            goal=f"recipe: {query.market}, {options.horizon} horizon, {options.trials} trials",
            status="running",
            kind="recipe",
            as_of=as_of,
            plan={"coin": query.coin, "quote": query.quote, "trials": options.trials},
        )
        session.add(record)
        session.flush()
        session_id = record.id
    try:
        result = _run(
            engine, home, options, name, query, session_id, user_id, settings, progress, say
        )
    except BaseException as error:
        with session_scope(engine) as session:
            failed = session.get(AgentSession, session_id)
            if failed is not None:
                failed.status = "failed" if isinstance(error, Exception) else "cancelled"
                failed.error = getattr(error, "message", type(error).__name__)
                failed.finished_at = failed.updated_at = utcnow()
        raise
    return result


def _run(
    engine: Engine,
    home: Path,
    options: RecipeOptions,
    name: str,
    query: BarsQuery,
    session_id: uuid.UUID,
    user_id: uuid.UUID | None,
    settings: LabSettings | None,
    progress: Progress | None,
    say: Stage,
) -> RecipeResult:
    say("loading bars and ledgers, computing features in the sandbox")
    with engine.connect() as connection:
        prepared = prepare(connection, query, options.horizon, options.embargo)
    dataset = prepared.dataset
    candidates = [
        Candidate(number, kind, params)
        for number, (kind, params) in enumerate(
            sample_candidates(list(options.models), options.trials, options.seed), start=1
        )
    ]
    decision = default_decision(classification=True)
    say(f"searching {len(candidates)} candidates over {options.folds} purged folds")
    result = search(
        dataset,
        candidates,
        folds=options.folds,
        embargo_bars=prepared.embargo_bars,
        seed=options.seed,
        decision=decision,
        costs=options.costs,
        initial_cash=options.initial_cash,
        settings=settings,
        progress=progress,
    )
    say("permutation importance on the out-of-sample folds")
    importance = permutation_importance(result, options.seed, settings)
    chosen = result.chosen.candidate
    say("fitting the chosen model on all the data, checking it for lookahead")
    model = fit_final(dataset, chosen, options.seed)
    spec = AlgorithmSpec(
        feature_source=prepared.source,
        feature_columns=dataset.columns,
        label=dataset.label,
        model_kind=chosen.model_kind,
        model_params=dict(chosen.params),
        decision=decision,
        seed=options.seed,
        warmup_bars=dataset.warmup_bars,
    )
    strategy = AlgorithmStrategy(name, spec, model, ledger_loader=_sliced_inputs(prepared.inputs))
    lookahead = check_lookahead(prepared.bars, strategy, truncations=LOOKAHEAD_TRUNCATIONS)
    evaluation = evaluation_record(prepared, result, importance, lookahead, options)
    bars = prepared.bars
    with session_scope(engine) as session:
        algorithm = algorithms.save_algorithm(
            session,
            home,
            name=name,
            spec=spec,
            model=model,
            coins=[query.coin],
            quote=query.quote,
            bar_seconds=dataset.bar_seconds,
            data_since=bars.index[0].to_pydatetime(),
            data_until=bars.index[-1].to_pydatetime(),
            as_of=query.as_of,
            trials=len(candidates),
            evaluation=evaluation,
            description=f"Recipe on {query.market}: {chosen.model_kind}, {len(candidates)} trials",
            user_id=user_id,
            session_id=session_id,
        )
        markdown = markdown_report(algorithm, evaluation)
        plot = report_png(
            f"{algorithm.name} v{algorithm.version} on {query.market} (out of sample)",
            result.chosen.equity,
            result.buy_and_hold_equity,
            [pd.Timestamp(fold["test_from"]) for fold in evaluation["folds"]],
            importance,
        )
        report_file = algorithms.attach_file(
            session,
            home,
            algorithm,
            "report_markdown",
            "report.md",
            markdown.encode(),
            "text/markdown",
        )
        plot_file = algorithms.attach_file(
            session, home, algorithm, "report_png", "report.png", plot, "image/png"
        )
        record = session.get(AgentSession, session_id)
        if record is not None:
            record.status = "completed"
            record.result = {"algorithm": algorithms.reference_of(algorithm)}
            record.finished_at = record.updated_at = utcnow()
        from omc.lab.artifacts import artifact_path

        return RecipeResult(
            algorithm.name,
            algorithm.version,
            algorithms.reference_of(algorithm),
            evaluation,
            artifact_path(home, report_file),
            artifact_path(home, plot_file),
            session_id,
        )
