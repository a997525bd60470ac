"""Time omc's engine beside a plain NumPy reference, vectorbt and backtesting.py.

SMA(20)/SMA(100) crossover, 0.1% fee per fill, all-in/all-out, signal at bar t filled at the
open of bar t+1, on synthetic bars from a fixed seed: ~105,000 5-minute bars (one year) and
~2.6M 1-minute bars (five years). Each timing is the best of several runs in a warm process.
Then a walk-forward random search of 1,000 parameter sets over the year of 5-minute bars.

Run: python benchmarks/bench_backtest.py [--with-slow] (backtesting.py on 2.6M bars is slow
and skipped unless --with-slow).
"""

from __future__ import annotations

import argparse
import time
import warnings
from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel
from omc.backtest.engine import simulate
from omc.backtest.execution import checked_targets, execution_prices, mark_prices
from omc.backtest.runner import run_backtest
from omc.backtest.synthetic import synthetic_bars
from omc.backtest.walk_forward import run_walk_forward
from omc.strategies import get_strategy

FEE = 0.001
FAST, SLOW = 20, 100
CASH = 10_000.0


def numpy_reference(open_: np.ndarray, close: np.ndarray) -> float:
    """The same backtest written directly in NumPy: growth factors per bar, then a product."""

    def sma(values: np.ndarray, period: int) -> np.ndarray:
        sums = np.cumsum(values)
        out = np.full(values.shape, np.nan)
        out[period - 1] = sums[period - 1]
        out[period:] = sums[period:] - sums[:-period]
        return out / period

    signal = sma(close, FAST) > sma(close, SLOW)
    held = np.zeros(close.shape, dtype=bool)
    held[1:] = signal[:-1]
    previous = np.zeros(close.shape, dtype=bool)
    previous[1:] = held[:-1]
    growth = np.ones(close.shape)
    previous_close = np.empty(close.shape)
    previous_close[0] = close[0]
    previous_close[1:] = close[:-1]
    stay = held & previous
    enter = held & ~previous
    leave = ~held & previous
    growth[stay] = close[stay] / previous_close[stay]
    growth[enter] = close[enter] / open_[enter] / (1.0 + FEE)
    growth[leave] = open_[leave] / previous_close[leave] * (1.0 - FEE)
    return float(CASH * np.prod(growth))


def omc_engine(bars: pd.DataFrame) -> float:
    """omc's strategy and engine: targets (checked), then the simulation."""
    strategy = get_strategy("sma_crossover")
    params = {"fast": FAST, "slow": SLOW}
    marks = mark_prices(bars)
    targets = checked_targets(strategy.targets(bars, params), len(bars), strategy.name)
    result = simulate(targets, execution_prices(bars, marks), marks, CostModel(fee_rate=FEE), CASH)
    return float(result.equity[-1])


def omc_full(bars: pd.DataFrame, benchmark: bool) -> float:
    """omc's `run_backtest`: validation, engine, trades and every metric."""
    result = run_backtest(
        bars,
        "sma_crossover",
        {"fast": FAST, "slow": SLOW},
        CostModel(fee_rate=FEE),
        CASH,
        with_benchmark=benchmark,
    )
    return result.metrics.final_equity


def vectorbt_run(bars: pd.DataFrame) -> float:
    """vectorbt's from_signals, entries and exits shifted a bar and filled at the open."""
    import vectorbt as vbt

    close = bars["close"]
    signal = close.rolling(FAST).mean() > close.rolling(SLOW).mean()
    held = signal.shift(1, fill_value=False)
    entries = held & ~held.shift(1, fill_value=False)
    exits = ~held & held.shift(1, fill_value=False)
    portfolio = vbt.Portfolio.from_signals(
        close, entries, exits, price=bars["open"], fees=FEE, init_cash=CASH, freq="5min"
    )
    return float(portfolio.final_value())


def backtesting_py_run(bars: pd.DataFrame) -> float:
    """backtesting.py with the same rule, fractional units, next-open fills."""
    from backtesting import Strategy
    from backtesting.lib import FractionalBacktest

    class SmaCross(Strategy):
        def init(self) -> None:
            def average(values: np.ndarray, period: int) -> np.ndarray:
                return pd.Series(values).rolling(period).mean().to_numpy()

            self.fast_average = self.I(average, self.data.Close, FAST)
            self.slow_average = self.I(average, self.data.Close, SLOW)

        def next(self) -> None:
            wanted = self.fast_average[-1] > self.slow_average[-1]
            if wanted and not self.position:
                self.buy(size=1 - 1e-12)
            elif not wanted and self.position:
                self.position.close()

    data = bars.rename(columns=str.capitalize).tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = FractionalBacktest(data, SmaCross, cash=CASH, commission=FEE).run()
    return float(stats["Equity Final [$]"])


def best_time(function: Callable[[], float], repeats: int) -> tuple[float, float]:
    """Best wall time in milliseconds over `repeats` runs after one warm-up run, and the value."""
    value = function()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        value = function()
        best = min(best, time.perf_counter() - started)
    return best * 1000.0, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--with-slow", action="store_true", help="backtesting.py on 2.6M bars")
    arguments = parser.parse_args()
    try:
        import vectorbt  # noqa: F401

        has_vectorbt = True
    except ImportError:
        has_vectorbt = False
        print("vectorbt: not installed, skipped")

    datasets = {
        "5m x 105,120": synthetic_bars(105_120, 5),
        "1m x 2,628,000": synthetic_bars(2_628_000, 1),
    }
    print(f"{'data':<16} {'implementation':<34} {'ms':>10} {'x numpy':>8} {'final equity':>14}")
    for label, bars in datasets.items():
        large = len(bars) > 1_000_000
        repeats = 3 if large else 7
        open_, close = bars["open"].to_numpy(), bars["close"].to_numpy()
        rows = [
            ("numpy reference", partial(numpy_reference, open_, close), repeats),
            ("omc engine (targets + simulate)", partial(omc_engine, bars), repeats),
            ("omc run_backtest (+ metrics)", partial(omc_full, bars, False), repeats),
            ("omc run_backtest (+ buy & hold)", partial(omc_full, bars, True), repeats),
        ]
        if has_vectorbt:
            rows.append(("vectorbt from_signals", partial(vectorbt_run, bars), repeats))
        if not large or arguments.with_slow:
            rows.append(("backtesting.py", partial(backtesting_py_run, bars), 1))
        reference_ms = None
        for name, function, count in rows:
            milliseconds, value = best_time(function, count)
            reference_ms = reference_ms or milliseconds
            ratio = milliseconds / reference_ms
            print(f"{label:<16} {name:<34} {milliseconds:>10.1f} {ratio:>8.2f} {value:>14.8g}")
        if large and not arguments.with_slow:
            print(f"{label:<16} {'backtesting.py':<34} {'skipped (use --with-slow)':>25}")

    year = datasets["5m x 105,120"]
    started = time.perf_counter()
    result = run_walk_forward(
        year,
        "sma_crossover",
        train="90d",
        test="30d",
        random_samples=1000,
        random_ranges={"fast": (2, 200), "slow": (10, 2000)},
        seed=1,
        costs=CostModel(fee_rate=FEE),
    )
    seconds = time.perf_counter() - started
    print(
        f"walk-forward: {result.candidates} parameter sets x {len(result.folds)} folds over "
        f"{len(year):,} 5-minute bars in {seconds:.1f} s "
        f"(out-of-sample return {result.out_of_sample.total_return:.2%})"
    )


if __name__ == "__main__":
    main()
