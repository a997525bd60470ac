"""`run_backtest`: the one call the CLI, the lab and the floor make to backtest a strategy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel
from omc.backtest.engine import Simulation, simulate
from omc.backtest.errors import TooFewBarsError
from omc.backtest.execution import checked_targets, execution_prices, mark_prices, prepare_bars
from omc.backtest.ledger import Ledger, replay_exact
from omc.backtest.metrics import Metrics, compute_metrics, drawdown
from omc.backtest.trades import Trades, round_trips
from omc.strategies import Parameters, Strategy, get_strategy
from omc.strategies.builtin import BuyAndHold

DEFAULT_INITIAL_CASH = 10_000.0


@dataclass(frozen=True)
class PreparedRun:
    """Bars checked and split into the arrays the engine needs, plus the strategy's targets."""

    index: pd.DatetimeIndex
    targets: np.ndarray
    execution_prices: np.ndarray
    mark_prices: np.ndarray


@dataclass(frozen=True)
class BacktestResult:
    """Everything one backtest produced: inputs, fills, trades, equity and metrics."""

    strategy: str
    params: Parameters
    costs: CostModel
    run: PreparedRun
    simulation: Simulation
    trades: Trades
    metrics: Metrics
    benchmark: Metrics | None
    benchmark_equity: pd.Series | None

    @property
    def equity(self) -> pd.Series:
        """Equity at each bar's close, in the quote currency."""
        return pd.Series(self.simulation.equity, index=self.run.index, name="equity")

    @property
    def drawdown(self) -> pd.Series:
        """Fractional distance below the running equity peak at each bar."""
        return pd.Series(drawdown(self.simulation.equity), index=self.run.index, name="drawdown")

    def trades_frame(self) -> pd.DataFrame:
        """The round-trip trades as a table (for `--trades FILE.csv`)."""
        return self.trades.to_frame(self.run.index)

    def exact_ledger(self) -> Ledger:
        """Replay the same run in exact `Decimal` money."""
        return replay_exact(
            self.run.index,
            self.run.targets,
            self.run.execution_prices,
            self.run.mark_prices,
            self.costs,
            self.simulation.initial_cash,
        )

    def to_dict(self, include_equity: bool = False) -> dict[str, object]:
        """A JSON-able summary; `include_equity` adds the per-bar equity curve."""
        trades = self.trades_frame()
        for column in ("entry_time", "exit_time"):
            trades[column] = trades[column].map(lambda t: None if pd.isna(t) else t.isoformat())
        trades = trades.astype(object).where(trades.notna(), None)
        result: dict[str, object] = {
            "strategy": self.strategy,
            "params": dict(self.params),
            "costs": self.costs.to_dict(),
            "metrics": self.metrics.to_dict(),
            "buy_and_hold": self.benchmark.to_dict() if self.benchmark else None,
            "trades": trades.to_dict(orient="records"),
        }
        if include_equity:
            result["equity"] = [
                [time.isoformat(), float(value)] for time, value in self.equity.items()
            ]
        return result


def minimum_bars(strategy: Strategy, params: Parameters) -> int:
    """Bars needed for at least one signal after warm-up and one bar to execute it."""
    return strategy.warmup_bars(params) + 2


def prepare_run(
    bars: pd.DataFrame,
    strategy: Strategy,
    params: Parameters,
    features: pd.DataFrame | None = None,
) -> PreparedRun:
    """Check the bars are enough for `params`, then compute targets and price arrays."""
    bars = prepare_bars(bars)
    needed = minimum_bars(strategy, params)
    if len(bars) < needed:
        shown = ", ".join(f"{name}={value}" for name, value in params.items()) or "defaults"
        raise TooFewBarsError(
            f"Strategy {strategy.name} ({shown}) needs at least {needed} bars; "
            f"the data has {len(bars)}."
        )
    marks = mark_prices(bars)
    targets = checked_targets(strategy.targets(bars, params, features), len(bars), strategy.name)
    return PreparedRun(bars.index, targets, execution_prices(bars, marks), marks)


def resolve_strategy(strategy: str | Strategy) -> Strategy:
    """A registered strategy by name, or the given instance (the lab's own strategies)."""
    return get_strategy(strategy) if isinstance(strategy, str) else strategy


def run_backtest(
    bars: pd.DataFrame,
    strategy: str | Strategy,
    params: Mapping[str, object] | None = None,
    costs: CostModel | None = None,
    initial_cash: float = DEFAULT_INITIAL_CASH,
    features: pd.DataFrame | None = None,
    with_benchmark: bool = True,
) -> BacktestResult:
    """Backtest a strategy (a registered name or an instance) on `bars`, beside buy-and-hold.

    `params` may hold numbers or command-line text (`{"fast": "20"}`); unknown names,
    malformed values and out-of-range values raise `ParameterError`.
    """
    strategy = resolve_strategy(strategy)
    resolved = strategy.resolve_parameters(params)
    costs = costs or CostModel()
    run = prepare_run(bars, strategy, resolved, features)
    simulation = simulate(run.targets, run.execution_prices, run.mark_prices, costs, initial_cash)
    trades = round_trips(simulation.fills, float(run.mark_prices[-1]))
    metrics = compute_metrics(run.index, simulation, trades, run.mark_prices)
    benchmark, benchmark_equity = None, None
    if with_benchmark:
        benchmark, benchmark_equity = _buy_and_hold(run, costs, initial_cash)
    return BacktestResult(
        strategy.name,
        resolved,
        costs,
        run,
        simulation,
        trades,
        metrics,
        benchmark,
        benchmark_equity,
    )


def _buy_and_hold(
    run: PreparedRun, costs: CostModel, initial_cash: float
) -> tuple[Metrics, pd.Series]:
    """Buy-and-hold over the same bars and costs: the benchmark beside every backtest."""
    targets = BuyAndHold().targets(pd.DataFrame(index=run.index), {})
    simulation = simulate(targets, run.execution_prices, run.mark_prices, costs, initial_cash)
    trades = round_trips(simulation.fills, float(run.mark_prices[-1]))
    metrics = compute_metrics(run.index, simulation, trades, run.mark_prices)
    return metrics, pd.Series(simulation.equity, index=run.index, name="buy_and_hold")
