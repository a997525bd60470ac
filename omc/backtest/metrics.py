"""Performance metrics from an equity curve, its fills and its trades.

Annualisation uses the bars' real spacing (the median gap between timestamps) over a 365.25-day
crypto year, never an assumed bar length. Ratios that are undefined (no trades, no losses, no
variance) are None rather than infinities, so results serialise to JSON.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from omc.backtest.engine import Simulation
from omc.backtest.trades import Trades

SECONDS_PER_YEAR = 365.25 * 24 * 3600


@dataclass(frozen=True)
class Metrics:
    """The headline numbers of one backtest; fractions, not percentages."""

    start: str
    end: str
    bars: int
    bar_seconds: float
    initial_equity: float
    final_equity: float
    total_return: float
    cagr: float | None
    annualised_volatility: float | None
    sharpe: float | None
    sortino: float | None
    max_drawdown: float
    max_drawdown_duration_seconds: float
    max_drawdown_duration_bars: int
    calmar: float | None
    win_rate: float | None
    profit_factor: float | None
    trade_count: int
    closed_trade_count: int
    fill_count: int
    exposure: float
    turnover: float
    fees_paid: float
    probabilistic_sharpe: float | None

    def to_dict(self) -> dict[str, object]:
        """A JSON-able copy."""
        return asdict(self)


def bar_spacing_seconds(index: pd.DatetimeIndex) -> float:
    """The typical gap between bars in seconds: the median, so outages do not distort it."""
    if len(index) < 2:
        return float("nan")
    ticks_per_second = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[index.unit]
    return float(np.median(np.diff(index.asi8)) / ticks_per_second)


def periods_per_year(index: pd.DatetimeIndex) -> float:
    """How many bars of this spacing fit in a year."""
    return SECONDS_PER_YEAR / bar_spacing_seconds(index)


def bar_returns(equity: np.ndarray) -> np.ndarray:
    """Simple returns from one bar's close to the next."""
    return equity[1:] / equity[:-1] - 1.0


def sharpe_ratio(returns: np.ndarray, annualisation: float) -> float | None:
    """Mean over standard deviation of returns, times sqrt(bars per year); risk-free rate 0."""
    if len(returns) < 2:
        return None
    deviation = returns.std(ddof=1)
    if not deviation > 0:
        return None
    return float(returns.mean() / deviation * math.sqrt(annualisation))


def sortino_ratio(returns: np.ndarray, annualisation: float) -> float | None:
    """Like Sharpe, but dividing by the root mean square of the negative returns only."""
    if len(returns) < 2:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(returns, 0.0) ** 2)))
    if not downside > 0:
        return None
    return float(returns.mean() / downside * math.sqrt(annualisation))


def probabilistic_sharpe_ratio(returns: np.ndarray, benchmark_sharpe: float = 0.0) -> float | None:
    """Bailey & López de Prado (2012): the probability that the true per-bar Sharpe exceeds
    `benchmark_sharpe`, given the sample's length, skewness and kurtosis."""
    count = len(returns)
    if count < 3:
        return None
    deviation = returns.std(ddof=1)
    if not deviation > 0:
        return None
    sharpe = returns.mean() / deviation
    centred = returns - returns.mean()
    squared = centred * centred  # products, not **: float powers are several times slower
    second = squared.mean()
    skewness = (squared * centred).mean() / second**1.5
    kurtosis = (squared * squared).mean() / second**2  # 3 for a normal distribution
    variance = 1.0 - skewness * sharpe + (kurtosis - 1.0) / 4.0 * sharpe**2
    if not variance > 0:
        return None
    z = (sharpe - benchmark_sharpe) * math.sqrt(count - 1) / math.sqrt(variance)
    return float(0.5 * (1.0 + math.erf(z / math.sqrt(2.0))))


def drawdown(equity: np.ndarray) -> np.ndarray:
    """Fractional distance below the running peak at each bar (0 at a new high, negative below)."""
    return equity / np.maximum.accumulate(equity) - 1.0


def _longest_underwater(index: pd.DatetimeIndex, equity: np.ndarray) -> tuple[float, int]:
    """The longest stretch from a peak until equity regains it (or the data ends)."""
    peaks = np.maximum.accumulate(equity)
    at_peak = equity >= peaks
    last_peak = np.where(at_peak, np.arange(len(equity)), 0)
    np.maximum.accumulate(last_peak, out=last_peak)
    underwater_bars = np.arange(len(equity)) - last_peak
    worst = int(np.argmax(underwater_bars))
    seconds = (index[worst] - index[last_peak[worst]]).total_seconds()
    # The stretch ends at the bar that recovers, one bar after the last underwater bar.
    if worst + 1 < len(equity) and at_peak[worst + 1] and underwater_bars[worst] > 0:
        seconds = (index[worst + 1] - index[last_peak[worst]]).total_seconds()
    return float(seconds), int(underwater_bars[worst])


def _compound_annual_growth(growth: float, years: float) -> float | None:
    """Growth per year; None when undefined or too large to represent (a span of minutes)."""
    if years <= 0 or growth <= 0:
        return None
    try:
        return math.exp(math.log(growth) / years) - 1.0
    except OverflowError:
        return None


def compute_metrics(
    index: pd.DatetimeIndex, simulation: Simulation, trades: Trades, marks: np.ndarray
) -> Metrics:
    """All metrics for one simulated run over `index`."""
    equity = simulation.equity
    initial = simulation.initial_cash
    spacing = bar_spacing_seconds(index)
    annualisation = SECONDS_PER_YEAR / spacing
    returns = bar_returns(equity)
    total_return = float(equity[-1] / initial - 1.0)
    years = (index[-1] - index[0]).total_seconds() / SECONDS_PER_YEAR
    cagr = _compound_annual_growth(float(equity[-1] / initial), years)
    volatility = float(returns.std(ddof=1) * math.sqrt(annualisation)) if len(returns) > 1 else None
    max_drawdown = float(drawdown(equity).min())
    duration_seconds, duration_bars = _longest_underwater(index, equity)
    closed = trades.closed
    profits = trades.profit[closed]
    wins, losses = profits[profits > 0].sum(), -profits[profits < 0].sum()
    invested_value = simulation.units * marks
    fills = simulation.fills
    return Metrics(
        start=index[0].isoformat(),
        end=index[-1].isoformat(),
        bars=len(index),
        bar_seconds=spacing,
        initial_equity=initial,
        final_equity=float(equity[-1]),
        total_return=total_return,
        cagr=cagr,
        annualised_volatility=volatility,
        sharpe=sharpe_ratio(returns, annualisation),
        sortino=sortino_ratio(returns, annualisation),
        max_drawdown=max_drawdown,
        max_drawdown_duration_seconds=duration_seconds,
        max_drawdown_duration_bars=duration_bars,
        calmar=cagr / -max_drawdown if cagr is not None and max_drawdown < 0 else None,
        win_rate=float((profits > 0).mean()) if len(profits) else None,
        profit_factor=float(wins / losses) if losses > 0 else None,
        trade_count=len(trades),
        closed_trade_count=int(closed.sum()),
        fill_count=len(fills),
        exposure=float((invested_value > 0).mean()),
        turnover=float(fills.notional.sum() / equity.mean()),
        fees_paid=float(fills.fee.sum()),
        probabilistic_sharpe=probabilistic_sharpe_ratio(returns),
    )
