"""The backtest actions as one call each, on bars from the database: what `omc backtest` runs.

Each function checks the strategy and parameters, then opens the database (`connect`, called
only once the cheap checks pass), loads one market's bars (point in time when asked), runs the
engine and returns its result beside the bars' description, so the CLI only parses options
and renders.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import pandas as pd
from sqlalchemy.engine import Engine

from omc.backtest.costs import CostModel
from omc.backtest.data import BarsQuery, load_bars
from omc.backtest.lookahead import LookaheadReport, check_lookahead
from omc.backtest.runner import BacktestResult, run_backtest
from omc.backtest.synthetic import synthetic_bars
from omc.backtest.walk_forward import Progress, WalkForwardResult, run_walk_forward
from omc.settings import BacktestSettings

if TYPE_CHECKING:
    from omc.strategies import Strategy

Result = TypeVar("Result")
Connect = Callable[[], Engine]
SYNTHETIC_CHECK_BARS = 5_000


@dataclass(frozen=True)
class BarsSummary:
    """What a result was computed on: the market (or 'synthetic'), its span and bar count."""

    market: str
    first: str
    last: str
    bars: int

    @classmethod
    def of(cls, market: str, bars: pd.DataFrame) -> BarsSummary:
        return cls(market, bars.index[0].isoformat(), bars.index[-1].isoformat(), len(bars))

    def to_dict(self) -> dict[str, object]:
        return {"market": self.market, "first": self.first, "last": self.last, "bars": self.bars}


@dataclass(frozen=True)
class OnBars(Generic[Result]):
    """A result together with the bars it was computed on."""

    bars: BarsSummary
    result: Result


def cost_model(
    settings: BacktestSettings,
    *,
    fee_rate: float | None = None,
    slippage_bps: float | None = None,
    minimum_order_value: float | None = None,
) -> CostModel:
    """The configured costs, with any value given on the command line taking precedence."""
    return CostModel(
        fee_rate=settings.fee_rate if fee_rate is None else fee_rate,
        slippage_bps=settings.slippage_bps if slippage_bps is None else slippage_bps,
        minimum_order_value=(
            settings.minimum_order_value if minimum_order_value is None else minimum_order_value
        ),
    )


def resolve_named_strategy(name: str, connect: Connect | None, home: Path | None) -> Strategy:
    """A built-in or registered strategy by name, or a stored algorithm (``algo:NAME[@N]``),
    loaded from the database and its artifacts under `home`."""
    from omc.lab.algorithms import is_algorithm_reference, load_strategy
    from omc.strategies import get_strategy

    if not is_algorithm_reference(name):
        return get_strategy(name)
    if connect is None or home is None:
        from omc.backtest.errors import UnknownStrategyError

        raise UnknownStrategyError(f"Algorithm {name} needs the database to load from.")
    return load_strategy(connect(), home, name)


def backtest_market(
    connect: Connect,
    query: BarsQuery,
    strategy: str,
    params: Mapping[str, object] | None,
    costs: CostModel,
    initial_cash: float,
    home: Path | None = None,
) -> OnBars[BacktestResult]:
    """Backtest `strategy` (a name, or ``algo:NAME[@N]`` with `home`) on one market's stored
    bars, beside buy-and-hold."""
    chosen = resolve_named_strategy(strategy, connect, home)  # unknown names fail first
    chosen.resolve_parameters(params)
    bars = load_bars(connect(), query)
    result = run_backtest(bars, chosen, params, costs, initial_cash)
    return OnBars(BarsSummary.of(query.market, bars), result)


def walk_forward_market(
    connect: Connect,
    query: BarsQuery,
    strategy: str,
    *,
    train: dt.timedelta,
    test: dt.timedelta,
    embargo: dt.timedelta,
    anchored: bool,
    grid: Mapping[str, Sequence[object]] | None,
    random_samples: int | None,
    random_ranges: Mapping[str, tuple[object, object]] | None,
    seed: int,
    objective: str,
    costs: CostModel,
    initial_cash: float,
    progress: Progress | None = None,
    home: Path | None = None,
    score_candidates: bool = False,
) -> OnBars[WalkForwardResult]:
    """Walk forward over one market's stored bars with a grid or random parameter search
    (`score_candidates`: also score every candidate out of sample, to store the record)."""
    chosen = resolve_named_strategy(strategy, connect, home)
    bars = load_bars(connect(), query)
    result = run_walk_forward(
        bars,
        chosen,
        train=train,
        test=test,
        embargo=embargo,
        anchored=anchored,
        grid=grid,
        random_samples=random_samples,
        random_ranges=random_ranges,
        seed=seed,
        objective=objective,
        costs=costs,
        initial_cash=initial_cash,
        progress=progress,
        score_candidates=score_candidates,
    )
    return OnBars(BarsSummary.of(query.market, bars), result)


def check_strategy(
    connect: Connect | None,
    query: BarsQuery | None,
    strategy: str,
    params: Mapping[str, object] | None,
    truncations: int,
    home: Path | None = None,
    algorithm_connect: Connect | None = None,
) -> OnBars[LookaheadReport]:
    """The lookahead check on a market's stored bars, or on synthetic bars when no market is
    given (a strategy's causality does not depend on which prices it sees). A stored algorithm
    loads through `algorithm_connect` (or `connect`)."""
    chosen = resolve_named_strategy(strategy, algorithm_connect or connect, home)
    chosen.resolve_parameters(params)
    bars: Any
    if query is None or connect is None:
        bars, market = synthetic_bars(SYNTHETIC_CHECK_BARS, minutes=60), "synthetic"
    else:
        bars, market = load_bars(connect(), query), query.market
    report = check_lookahead(bars, chosen, params, truncations=truncations)
    return OnBars(BarsSummary.of(market, bars), report)
