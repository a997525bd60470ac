"""Walk-forward evaluation: search parameters on each training window, judge them on the next
test window only, and stitch the test windows into one out-of-sample record.

Targets for a parameter set are computed once over the whole history and sliced per window.
That is honest only for causal strategies, which is what `check_lookahead` verifies; each
test window starts flat and may use the bar just before it (its signal executes at the
window's first open).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel
from omc.backtest.engine import Fills, Simulation, simulate
from omc.backtest.errors import BacktestError, TooFewBarsError
from omc.backtest.execution import checked_targets, execution_prices, mark_prices, prepare_bars
from omc.backtest.metrics import Metrics, bar_returns, compute_metrics, periods_per_year
from omc.backtest.runner import (
    DEFAULT_INITIAL_CASH,
    PreparedRun,
    prepare_run,
    resolve_strategy,
)
from omc.backtest.search import Candidates, grid_candidates, random_candidates
from omc.backtest.trades import Trades, round_trips
from omc.strategies import Parameters, Strategy

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Fold:
    """One train/test split as positions into the bars: [start, end) each."""

    number: int
    train_start: int
    train_end: int
    test_start: int
    test_end: int


@dataclass(frozen=True)
class FoldResult:
    """The parameters chosen on a fold's training window and how they did on its test window."""

    fold: Fold
    train_period: tuple[str, str]
    test_period: tuple[str, str]
    params: Parameters
    train_score: float
    test: Metrics

    def to_dict(self) -> dict[str, object]:
        """A JSON-able copy."""
        return {
            "fold": self.fold.number,
            "train": list(self.train_period),
            "test": list(self.test_period),
            "params": dict(self.params),
            "train_score": None if math.isinf(self.train_score) else self.train_score,
            "test_metrics": self.test.to_dict(),
        }


@dataclass(frozen=True)
class WalkForwardResult:
    """Per-fold results, and the test windows stitched into one out-of-sample run."""

    strategy: str
    objective: str
    candidates: int
    skipped_candidates: int
    folds: list[FoldResult]
    out_of_sample: Metrics
    out_of_sample_equity: pd.Series
    # Each candidate's per-bar Sharpe ratio over the same test windows with its parameters held
    # fixed (None where undefined); computed only when asked (`score_candidates`), for the
    # deflated Sharpe ratio of a stored record.
    candidate_sharpes: tuple[float | None, ...] | None = None
    chosen_params: Parameters | None = None

    def to_dict(self, include_equity: bool = False) -> dict[str, object]:
        """A JSON-able summary; `include_equity` adds the stitched equity curve."""
        result: dict[str, object] = {
            "strategy": self.strategy,
            "objective": self.objective,
            "candidates": self.candidates,
            "skipped_candidates": self.skipped_candidates,
            "folds": [fold.to_dict() for fold in self.folds],
            "out_of_sample": self.out_of_sample.to_dict(),
        }
        if include_equity:
            result["equity"] = [
                [time.isoformat(), float(value)]
                for time, value in self.out_of_sample_equity.items()
            ]
        return result


def _sharpe(equity: np.ndarray, annualisation: float) -> float:
    returns = bar_returns(equity)
    deviation = returns.std(ddof=1) if len(returns) > 1 else 0.0
    return (
        float(returns.mean() / deviation * math.sqrt(annualisation)) if deviation > 0 else -math.inf
    )


def _sortino(equity: np.ndarray, annualisation: float) -> float:
    returns = bar_returns(equity)
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2))) if len(returns) else 0.0
    return (
        float(returns.mean() / downside * math.sqrt(annualisation)) if downside > 0 else -math.inf
    )


def _total_return(equity: np.ndarray, annualisation: float) -> float:
    return float(equity[-1] / equity[0] - 1.0)


def _calmar(equity: np.ndarray, annualisation: float) -> float:
    worst = float((equity / np.maximum.accumulate(equity)).min() - 1.0)
    years = len(equity) / annualisation
    growth = equity[-1] / equity[0]
    if worst >= 0 or growth <= 0 or years <= 0:
        return -math.inf
    return float((growth ** (1.0 / years) - 1.0) / -worst)


OBJECTIVES: dict[str, Callable[[np.ndarray, float], float]] = {
    "sharpe": _sharpe,
    "sortino": _sortino,
    "total_return": _total_return,
    "calmar": _calmar,
}


def make_folds(
    index: pd.DatetimeIndex,
    train: pd.Timedelta,
    test: pd.Timedelta,
    embargo: pd.Timedelta | None = None,
    anchored: bool = False,
) -> list[Fold]:
    """Consecutive test windows of length `test`, each after `embargo` following its training
    window (the last `train` of history, or all history so far when `anchored`)."""
    embargo = pd.Timedelta(0) if embargo is None else embargo
    if train <= pd.Timedelta(0) or test <= pd.Timedelta(0) or embargo < pd.Timedelta(0):
        raise BacktestError("Train and test windows must be positive and the embargo not negative.")
    start, end = index[0], index[-1]
    folds: list[Fold] = []
    test_start_time = start + train + embargo
    while test_start_time <= end:
        train_start_time = start if anchored else test_start_time - embargo - train
        train_end_time = test_start_time - embargo
        bounds = index.searchsorted(
            [train_start_time, train_end_time, test_start_time, test_start_time + test]
        )
        train_start, train_end, test_start, test_end = (int(value) for value in bounds)
        if test_end - test_start >= 1 and train_end - train_start >= 2:
            folds.append(Fold(len(folds) + 1, train_start, train_end, test_start, test_end))
        test_start_time += test
    if not folds:
        raise TooFewBarsError(
            f"The data spans {end - start}: too short for a training window and embargo "
            f"({train + embargo}) followed by a test window."
        )
    return folds


def run_walk_forward(
    bars: pd.DataFrame,
    strategy: str | Strategy,
    *,
    train: pd.Timedelta | str,
    test: pd.Timedelta | str,
    embargo: pd.Timedelta | str = "0s",
    anchored: bool = False,
    grid: Mapping[str, Sequence[object]] | None = None,
    random_samples: int | None = None,
    random_ranges: Mapping[str, tuple[object, object]] | None = None,
    seed: int = 0,
    objective: str = "sharpe",
    costs: CostModel | None = None,
    initial_cash: float = DEFAULT_INITIAL_CASH,
    progress: Progress | None = None,
    score_candidates: bool = False,
) -> WalkForwardResult:
    """Walk forward with a grid search (`grid`) or a random search (`random_samples`).

    `score_candidates` also scores every candidate on the test windows (parameters fixed), the
    trials a deflated Sharpe ratio of the stitched record is judged against.
    """
    strategy = resolve_strategy(strategy)
    if objective not in OBJECTIVES:
        raise BacktestError(
            f"Unknown objective '{objective}'; choose one of: {', '.join(OBJECTIVES)}."
        )
    if random_samples is not None:
        candidates = random_candidates(strategy, random_samples, random_ranges, seed)
    else:
        candidates = grid_candidates(strategy, grid or {})
    costs = costs or CostModel()
    bars = prepare_bars(bars)
    folds = make_folds(
        bars.index, pd.Timedelta(train), pd.Timedelta(test), pd.Timedelta(embargo), anchored
    )
    scores, sharpes = _train_scores(
        bars, strategy, candidates, folds, objective, costs, progress, score_candidates
    )
    results, pieces = [], []
    for column, fold in enumerate(folds):
        best = int(np.argmax(scores[:, column]))
        params = candidates.params[best]
        run = prepare_run(bars, strategy, params)
        window = slice(fold.test_start - 1 if fold.test_start > 0 else 0, fold.test_end)
        piece = _simulate_window(run, window, costs, initial_cash)
        pieces.append(piece)
        results.append(
            FoldResult(
                fold=fold,
                train_period=_period(bars.index, fold.train_start, fold.train_end),
                test_period=_period(bars.index, fold.test_start, fold.test_end),
                params=params,
                train_score=float(scores[best, column]),
                test=compute_metrics(*piece),
            )
        )
    stitched_index, stitched, stitched_trades, marks = _stitch(pieces)
    return WalkForwardResult(
        strategy=strategy.name,
        objective=objective,
        candidates=len(candidates.params),
        skipped_candidates=candidates.skipped,
        folds=results,
        out_of_sample=compute_metrics(stitched_index, stitched, stitched_trades, marks),
        out_of_sample_equity=pd.Series(stitched.equity, index=stitched_index, name="equity"),
        candidate_sharpes=sharpes,
        chosen_params=results[-1].params,
    )


def _period(index: pd.DatetimeIndex, start: int, end: int) -> tuple[str, str]:
    return index[start].isoformat(), index[end - 1].isoformat()


def _train_scores(
    bars: pd.DataFrame,
    strategy: Strategy,
    candidates: Candidates,
    folds: list[Fold],
    objective: str,
    costs: CostModel,
    progress: Progress | None,
    score_tests: bool = False,
) -> tuple[np.ndarray, tuple[float | None, ...] | None]:
    """Objective of every candidate on every training window, -inf where undefined; with
    `score_tests`, also each candidate's per-bar Sharpe over the test windows (each started
    flat), from the same targets."""
    from omc.lab.overfitting import per_bar_sharpe

    score = OBJECTIVES[objective]
    annualisation = periods_per_year(bars.index)
    marks = mark_prices(bars)
    fill_prices = execution_prices(bars, marks)
    scores = np.full((len(candidates.params), len(folds)), -math.inf)
    test_sharpes: list[float | None] = []
    for row, params in enumerate(candidates.params):
        targets = checked_targets(strategy.targets(bars, params), len(bars), strategy.name)
        for column, fold in enumerate(folds):
            window = slice(fold.train_start, fold.train_end)
            simulation = simulate(
                targets[window],
                fill_prices[window],
                marks[window],
                costs,
            )
            value = score(simulation.equity, annualisation)
            scores[row, column] = value if math.isfinite(value) else -math.inf
        if score_tests:
            returns = []
            for fold in folds:
                window = slice(max(fold.test_start - 1, 0), fold.test_end)
                simulation = simulate(targets[window], fill_prices[window], marks[window], costs)
                returns.append(bar_returns(simulation.equity))
            test_sharpes.append(per_bar_sharpe(np.concatenate(returns)))
        if progress is not None:
            progress(row + 1, len(candidates.params))
    return scores, tuple(test_sharpes) if score_tests else None


def _simulate_window(
    run: PreparedRun, window: slice, costs: CostModel, initial_cash: float
) -> tuple[pd.DatetimeIndex, Simulation, Trades, np.ndarray]:
    simulation = simulate(
        run.targets[window],
        run.execution_prices[window],
        run.mark_prices[window],
        costs,
        initial_cash,
    )
    marks = run.mark_prices[window]
    trades = round_trips(simulation.fills, float(marks[-1]))
    return run.index[window], simulation, trades, marks


def _stitch(
    pieces: list[tuple[pd.DatetimeIndex, Simulation, Trades, np.ndarray]],
) -> tuple[pd.DatetimeIndex, Simulation, Trades, np.ndarray]:
    """Chain test windows: each starts where the previous ended, scaled to its final equity.

    A window's first bar is the bar before its test period (equity still initial cash), so
    every window after the first drops it; money amounts scale with the running equity.
    """
    indexes, equities, units, cash, marks = [], [], [], [], []
    fill_parts: list[list[np.ndarray]] = [[] for _ in range(6)]
    trade_parts: list[list[np.ndarray]] = [[] for _ in range(8)]
    scale, offset = 1.0, 0
    for number, (index, simulation, trades, window_marks) in enumerate(pieces):
        skip = 0 if number == 0 else 1
        indexes.append(index[skip:])
        equities.append(simulation.equity[skip:] * scale)
        units.append(simulation.units[skip:] * scale)
        cash.append(simulation.cash[skip:] * scale)
        marks.append(window_marks[skip:])
        fills = simulation.fills
        for part, values, factor in zip(
            fill_parts,
            (
                fills.bar + offset - skip,
                fills.units,
                fills.price,
                fills.notional,
                fills.fee,
                fills.units_after,
            ),
            (1, scale, 1, scale, scale, scale),
            strict=True,
        ):
            part.append(values * factor)
        shifted_exit = np.where(trades.exit_bar >= 0, trades.exit_bar + offset - skip, -1)
        for part, values, factor in zip(
            trade_parts,
            (
                trades.entry_bar + offset - skip,
                shifted_exit,
                trades.entry_price,
                trades.exit_price,
                trades.size,
                trades.fees,
                trades.profit,
                trades.return_fraction,
            ),
            (1, 1, 1, 1, scale, scale, scale, 1),
            strict=True,
        ):
            part.append(values * factor)
        offset += len(index) - skip
        scale = equities[-1][-1] / simulation.initial_cash
    fill_columns = [np.concatenate(part) for part in fill_parts]
    stitched = Simulation(
        np.concatenate(equities),
        np.concatenate(units),
        np.concatenate(cash),
        Fills(fill_columns[0].astype(np.intp), *fill_columns[1:]),
        pieces[0][1].initial_cash,
    )
    trade_columns = [np.concatenate(part) for part in trade_parts]
    trades = Trades(
        trade_columns[0].astype(np.intp), trade_columns[1].astype(np.intp), *trade_columns[2:]
    )
    index = indexes[0].append(indexes[1:]) if len(indexes) > 1 else indexes[0]
    return index, stitched, trades, np.concatenate(marks)
