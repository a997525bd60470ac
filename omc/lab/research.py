"""The lab's bridge to omc's own research code: data frames, the sandbox, fitting, storing.

The agents decide; this module does, with omc's code: it builds the as-of data the feature code
sees, runs that code in the sandbox, summarises results compactly for the model, fits the
allow-listed estimators with the purged walk-forward, and stores accepted candidates as draft
algorithms with their report.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from omc.lab.context import LabLimits
from omc.lab.state import LabState, TrainingChoice

if TYPE_CHECKING:
    import pandas as pd

    from omc.lab.context import LabContext

FOLDS = 5


BAR_SECONDS = {"5min": 300, "15min": 900, "1h": 3600, "4h": 14400, "1d": 86400}
SEED = 0


def estimator_names() -> list[str]:
    return sorted(allowed_estimators())


def allowed_estimators() -> dict[str, dict[str, list[Any]]]:
    """Installed allow-listed estimators → their declared search space (name → values)."""
    from omc.lab.estimators import ESTIMATORS

    return {
        name: {param: list(values) for param, values in kind.space.items()}
        for name, kind in ESTIMATORS.items()
        if kind.available()
    }


def check_choice(choice: TrainingChoice) -> str:
    """An empty string when every estimator and value is allowed, else what is wrong."""
    allowed = allowed_estimators()
    for item in choice.estimators:
        if item.estimator not in allowed:
            return f"unknown estimator {item.estimator!r}; allowed: {', '.join(sorted(allowed))}"
        space = allowed[item.estimator]
        for name, values in item.search_space.items():
            if name not in space:
                return f"{item.estimator} has no hyper-parameter {name!r}; it has: " + ", ".join(
                    space
                )
            if not isinstance(values, list) or not values:
                return f"the search space of {item.estimator}.{name} must be a non-empty list"
            outside = [value for value in values if value not in space[name]]
            if outside:
                return (
                    f"{item.estimator}.{name} allows only {space[name]}; "
                    f"not {', '.join(map(str, outside))}"
                )
    return ""


def _combinations(item: dict[str, Any]) -> list[dict[str, Any]]:
    import itertools

    space = item.get("search_space") or {}
    names = sorted(space)
    return [
        dict(zip(names, values, strict=True))
        for values in itertools.product(*(space[name] for name in names))
    ] or [{}]


def estimated_fits(state: LabState) -> int:
    """Fits the training stage will make: every search combination on every fold."""
    choice = state.get("training") or {}
    combinations = sum(len(_combinations(item)) for item in choice.get("estimators", []))
    return combinations * FOLDS


def _market(context: LabContext, plan: dict[str, Any]) -> tuple[str, str]:
    """The plan's coin and quote; with no quote, the market of that coin with the most bars."""
    from omc.db import session_scope
    from omc.ledgers.tools import get_data_statistics

    coin = (plan.get("coins") or ["BTC"])[0]
    if plan.get("quote"):
        return coin, plan["quote"]
    with session_scope(context.engine) as session:
        stats = get_data_statistics(session, coin, as_of=context.as_of)
    markets = stats.get("price_data_5min", {}).get("markets", [])
    if not markets:
        return coin, "AUD"
    return coin, max(markets, key=lambda market: market["rows"])["quote"]


def load_bars_for(context: LabContext, plan: dict[str, Any]) -> pd.DataFrame:
    """The plan's bars as the backtest engine reads them, known by the session's cutoff."""
    import datetime as dt

    from omc.backtest.data import BarsQuery, load_bars

    coin, quote = _market(context, plan)
    since = context.as_of - dt.timedelta(days=int(plan.get("lookback_days") or 365))
    query = BarsQuery(coin, quote, since=since, until=context.as_of, as_of=context.as_of)
    return load_bars(context.engine, query)


def feature_inputs(context: LabContext, plan: dict[str, Any]) -> tuple[pd.DataFrame, dict]:
    """``df`` (the bars) and the named ledger inputs the feature code gets."""
    from omc.db import session_scope
    from omc.lab.ledger_inputs import load_ledger_inputs

    bars = load_bars_for(context, plan)
    coin, _ = _market(context, plan)
    with session_scope(context.engine) as session:
        inputs = load_ledger_inputs(session, coin, bars.index, as_of=context.as_of)
    return bars, dict(inputs)


def run_features(code: str, df: pd.DataFrame, inputs: dict[str, Any]) -> Any:
    """The feature frame the code computes (checked: numeric, one row per bar)."""
    from omc.lab.errors import FeatureCodeError
    from omc.lab.features import compute_features
    from omc.lab.sandbox import SandboxError

    try:
        return compute_features(code, df, inputs)
    except FeatureCodeError as error:
        raise SandboxError(error.message) from None


def _label(df: pd.DataFrame, horizon: int) -> pd.Series:
    close = df["close"] if "close" in df.columns else df["last"]
    return close.shift(-horizon) / close - 1.0


def summarise_features(result: Any, df: pd.DataFrame, plan: dict[str, Any]) -> dict[str, Any]:
    """Shape, statistics, missing values and correlation with the label (never the rows)."""
    import pandas as pd

    frame = result if isinstance(result, pd.DataFrame) else pd.DataFrame(result)
    label = _label(df, int(plan.get("horizon_bars") or 1)).reindex(frame.index)
    numeric = frame.select_dtypes("number")
    columns = {}
    for name in numeric.columns[:20]:
        series = numeric[name]
        columns[str(name)] = {
            "mean": _round(series.mean()),
            "std": _round(series.std()),
            "missing": int(series.isna().sum()),
            "label_correlation": _round(series.corr(label)),
        }
    return {"rows": int(frame.shape[0]), "columns": int(frame.shape[1]), "stats": columns}


def _round(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) or math.isinf(number) else round(number, 6)


def fingerprint(candidate: dict[str, Any]) -> str:
    """What makes two candidates the same result: code, model, parameters, metrics."""
    keep = {key: candidate.get(key) for key in ("code_sha256", "estimator", "params")}
    keep["evaluation"] = {
        key: (round(value, 8) if isinstance(value, float) else value)
        for key, value in (candidate.get("evaluation") or {}).items()
    }
    text = json.dumps(keep, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Trained:
    """One round's search, kept in the process so storing the winner does not search again."""

    prepared: Any
    result: Any
    spec: Any
    model: Any
    lookahead: Any
    query: Any


_TRAINED: dict[str, Trained] = {}


def _query(context: LabContext, plan: dict[str, Any]) -> Any:
    import datetime as dt

    from omc.backtest.data import BarsQuery

    coin, quote = _market(context, plan)
    since = context.as_of - dt.timedelta(days=int(plan.get("lookback_days") or 365))
    return BarsQuery(coin, quote, since=since, until=context.as_of, as_of=context.as_of)


def _train(context: LabContext, state: LabState, feature: dict[str, Any], choice: dict) -> Trained:
    """Features in the sandbox, the purged walk-forward search, the winner refitted on all rows
    and checked for lookahead: the recipe's own steps, with the agents' code and choices."""
    import datetime as dt

    from omc.backtest.lookahead import check_lookahead
    from omc.backtest.metrics import bar_spacing_seconds
    from omc.lab.decision import default_decision
    from omc.lab.evaluation import Candidate, fit_final, search
    from omc.lab.recipe import LOOKAHEAD_TRUNCATIONS, _sliced_inputs, prepare
    from omc.lab.strategy import AlgorithmSpec, AlgorithmStrategy

    plan = state.get("plan") or {}
    query = _query(context, plan)
    bars = load_bars_for(context, plan)
    horizon = dt.timedelta(
        seconds=int(plan.get("horizon_bars") or 1) * bar_spacing_seconds(bars.index)
    )
    with context.engine.connect() as connection:
        prepared = prepare(connection, query, horizon, None, source=feature["code"])
    candidates = [
        Candidate(number, item["estimator"], params)
        for number, (item, params) in enumerate(
            (
                (item, params)
                for item in choice.get("estimators", [])
                for params in _combinations(item)
            ),
            start=1,
        )
    ]
    decision = default_decision(classification=True)
    result = search(
        prepared.dataset,
        candidates,
        folds=FOLDS,
        embargo_bars=prepared.embargo_bars,
        seed=SEED,
        decision=decision,
        costs=_costs(),
        initial_cash=_initial_cash(),
        settings=_settings().lab,
    )
    chosen = result.chosen.candidate
    model = fit_final(prepared.dataset, chosen, SEED)
    spec = AlgorithmSpec(
        feature_source=prepared.source,
        feature_columns=prepared.dataset.columns,
        label=prepared.dataset.label,
        model_kind=chosen.model_kind,
        model_params=dict(chosen.params),
        decision=decision,
        seed=SEED,
        warmup_bars=prepared.dataset.warmup_bars,
    )
    strategy = AlgorithmStrategy(
        "candidate", spec, model, ledger_loader=_sliced_inputs(prepared.inputs)
    )
    lookahead = check_lookahead(prepared.bars, strategy, truncations=LOOKAHEAD_TRUNCATIONS)
    return Trained(prepared, result, spec, model, lookahead, query)


def _costs() -> Any:
    from omc.backtest.costs import CostModel

    return CostModel()


def _initial_cash() -> float:
    from omc.backtest.runner import DEFAULT_INITIAL_CASH

    return float(DEFAULT_INITIAL_CASH)


def _settings() -> Any:
    from omc.settings import load_settings

    return load_settings().settings


def _evaluation(trained: Trained, total_trials: int) -> dict[str, Any]:
    result = trained.result
    metrics = result.chosen.metrics
    hold = result.buy_and_hold
    return {
        "sharpe": metrics.sharpe,
        "deflated_sharpe": result.deflated_sharpe.deflated_sharpe,
        "pbo": result.overfitting.probability if result.overfitting is not None else None,
        "total_return": metrics.total_return,
        "max_drawdown": metrics.max_drawdown,
        "trades": metrics.trade_count,
        "buy_and_hold_return": hold.total_return,
        "buy_and_hold_sharpe": hold.sharpe,
        "lookahead_passed": trained.lookahead.passed,
        "trials": total_trials,
        "trials_round": len(result.trials),
    }


def qualifies(evaluation: dict[str, Any], bar: LabLimits | None = None) -> bool:
    """Whether a candidate may be stored as ``validated`` (after the person agrees), by the
    session's bar (``[lab] validated_*``; the defaults without one)."""
    bar = bar or LabLimits()
    deflated = evaluation.get("deflated_sharpe")
    pbo = evaluation.get("pbo")
    sharpe, hold = evaluation.get("sharpe"), evaluation.get("buy_and_hold_sharpe")
    beats_hold = hold is None or not bar.validated_beats_buy_and_hold or sharpe > hold
    return (
        bool(evaluation.get("lookahead_passed"))
        and deflated is not None
        and deflated >= bar.validated_min_deflated_sharpe
        and (pbo is None or pbo < bar.validated_max_pbo)
        and sharpe is not None
        and beats_hold
    )


def train_candidates(
    context: LabContext, state: LabState, feature: dict[str, Any], choice: dict[str, Any]
) -> list[dict[str, Any]]:
    """Fit the chosen estimators with the purged walk-forward; the round's best candidate."""
    trained = _train(context, state, feature, choice)
    earlier = sum(
        int((c.get("evaluation") or {}).get("trials_round", 0))
        for c in state.get("candidates") or []
    )
    chosen = trained.result.chosen.candidate
    candidate = {
        "name": f"{feature['name']}-{chosen.model_kind}",
        "feature": feature["name"],
        "code_sha256": feature["code_sha256"],
        "estimator": chosen.model_kind,
        "params": dict(chosen.params),
        "evaluation": _evaluation(trained, earlier + len(trained.result.trials)),
        "lookahead_ok": bool(trained.lookahead.passed),
    }
    candidate["qualifies"] = qualifies(candidate["evaluation"], context.limits)
    candidate["fingerprint"] = fingerprint(candidate)
    _TRAINED[candidate["fingerprint"]] = trained
    return [candidate]


def best_candidate(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    scored = [c for c in candidates if c.get("evaluation")]
    if not scored:
        return None
    return max(
        scored,
        key=lambda c: (c["evaluation"].get("deflated_sharpe") or float("-inf"), c["name"]),
    )


def _algorithm_name(plan: dict[str, Any], candidate: dict[str, Any]) -> str:
    import re

    coin = (plan.get("coins") or ["btc"])[0]
    text = f"{coin}-lab-{candidate['feature']}".lower()
    return re.sub(r"[^a-z0-9_.-]+", "-", text)[:100]


def store_candidate(context: LabContext, state: LabState, candidate: dict[str, Any]) -> str:
    """Store the accepted candidate as a ``draft`` algorithm with its evaluation and report;
    returns its reference (``NAME@VERSION``)."""
    import pandas as pd

    from omc.db import session_scope
    from omc.lab import algorithms
    from omc.lab.evaluation import permutation_importance
    from omc.lab.recipe import RecipeOptions, evaluation_record
    from omc.lab.report import markdown_report, report_png

    trained = _TRAINED.pop(candidate["fingerprint"], None)
    if trained is None:  # a resumed session: the search is deterministic, run it again
        feature = next(
            f
            for f in state.get("features") or []
            if f.get("name") == candidate["feature"] and not f.get("error")
        )
        trained = _train(context, state, feature, state.get("training") or {})
    plan = state.get("plan") or {}
    settings = _settings()
    importance = permutation_importance(trained.result, SEED, settings.lab)
    options = RecipeOptions(
        coin=trained.query.coin,
        quote=trained.query.quote,
        horizon=pd.Timedelta(
            seconds=trained.prepared.horizon_bars * trained.prepared.dataset.bar_seconds
        ).to_pytimedelta(),
        folds=FOLDS,
        trials=max(1, len(trained.result.trials)),
        models=tuple(sorted({c.candidate.model_kind for c in trained.result.trials})),
        costs=_costs(),
        initial_cash=_initial_cash(),
    )
    evaluation = evaluation_record(
        trained.prepared, trained.result, importance, trained.lookahead, options
    )
    evaluation["lab"] = {
        "goal": state.get("goal"),
        "trials_in_session": candidate["evaluation"].get("trials"),
        "fingerprint": candidate["fingerprint"],
    }
    bars = trained.prepared.bars
    home = _settings().home
    with session_scope(context.engine) as session:
        algorithm = algorithms.save_algorithm(
            session,
            home,
            name=_algorithm_name(plan, candidate),
            spec=trained.spec,
            model=trained.model,
            coins=[trained.query.coin],
            quote=trained.query.quote,
            bar_seconds=trained.prepared.dataset.bar_seconds,
            data_since=bars.index[0].to_pydatetime(),
            data_until=bars.index[-1].to_pydatetime(),
            as_of=trained.query.as_of,
            trials=int(candidate["evaluation"].get("trials") or 1),
            evaluation=evaluation,
            description=f"Lab session: {state.get('goal')}",
            user_id=context.user_id,
            session_id=context.session_id,
        )
        markdown = markdown_report(algorithm, evaluation)
        plot = report_png(
            f"{algorithm.name} v{algorithm.version} (out of sample)",
            trained.result.chosen.equity,
            trained.result.buy_and_hold_equity,
            [pd.Timestamp(fold["test_from"]) for fold in evaluation["folds"]],
            importance,
        )
        algorithms.attach_file(
            session, home, algorithm, "report_markdown", "report.md", markdown.encode(),
            "text/markdown",
        )  # fmt: skip
        algorithms.attach_file(
            session, home, algorithm, "report_png", "report.png", plot, "image/png"
        )
        return algorithms.reference_of(algorithm)


def mark_validated(context: LabContext, reference: str) -> None:
    """Move a stored algorithm from ``draft`` to ``validated`` (the person agreed)."""
    from omc.db import session_scope
    from omc.lab import algorithms

    with session_scope(context.engine) as session:
        algorithms.set_status(session, algorithms.find_algorithm(session, reference), "validated")


def store_report(context: LabContext, report: str) -> None:
    """Keep the session's Markdown report as an artifact of the session."""
    from omc.db import session_scope
    from omc.lab.artifacts import write_artifact

    with session_scope(context.engine) as session:
        write_artifact(
            session,
            _settings().home,
            f"sessions/{context.session_id}/report.md",
            report.encode(),
            kind="session_report",
            media_type="text/markdown",
            session_id=context.session_id,
            user_id=context.user_id,
        )


def run_recipe(runtime: Any, request: Any, *, sink: Any) -> Any:
    """The LLM-free recipe on the request's coin (the lab's fallback without a model)."""
    from omc.lab.recipe import RecipeOptions
    from omc.lab.recipe import run_recipe as recipe
    from omc.lab.run import SessionResult

    coin = (request.coins or ["BTC"])[0].upper()
    quote = _quote_with_most_bars(runtime, coin, request.as_of)
    options = RecipeOptions(coin=coin, quote=quote, as_of=request.as_of)

    def say(text: str) -> None:
        if sink is not None:
            sink({"kind": "recipe", "stage": "recipe", "message": text})

    made = recipe(
        runtime.engine(),
        runtime.settings.home,
        options,
        settings=runtime.settings.lab,
        user_id=runtime.user_id(),
        stage=say,
    )
    return SessionResult(
        session_id=made.session_id,
        status="completed",
        message=f"no LLM is configured: the built-in recipe made {made.reference}",
        algorithms=[made.reference],
        details={"recipe": made.to_dict()},
    )


def _quote_with_most_bars(runtime: Any, coin: str, as_of: Any) -> str:
    from omc.ledgers.tools import get_data_statistics

    with runtime.session() as session:
        stats = get_data_statistics(session, coin, as_of=as_of)
    markets = stats.get("price_data_5min", {}).get("markets", [])
    return max(markets, key=lambda m: m["rows"])["quote"] if markets else "AUD"
