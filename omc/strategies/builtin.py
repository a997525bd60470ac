"""The built-in strategies: buy-and-hold (the benchmark) and five classic long/flat rules."""

from __future__ import annotations

import numpy as np
import pandas as pd

from omc.backtest.errors import ParameterError
from omc.strategies.base import Parameter, Parameters, Strategy, price_column
from omc.strategies.indicators import (
    exponential_moving_average,
    hold_between,
    relative_strength_index,
    rolling_standard_deviation,
    simple_moving_average,
)


def _prices(bars: pd.DataFrame) -> np.ndarray:
    return bars[price_column(bars)].to_numpy(dtype=np.float64)


def _check_fast_below_slow(name: str, params: Parameters) -> None:
    if params["fast"] >= params["slow"]:
        raise ParameterError(
            f"Parameter 'fast' of {name} must be smaller than 'slow', "
            f"got fast={params['fast']} and slow={params['slow']}."
        )


class BuyAndHold(Strategy):
    """Fully invested from the first bar: the benchmark every other strategy is shown beside."""

    name = "buy_and_hold"
    description = "Buy at the first opportunity and hold to the end (the benchmark)."

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        return np.ones(len(bars))


class SmaCrossover(Strategy):
    """Long while the fast simple moving average is above the slow one."""

    name = "sma_crossover"
    description = "Long while SMA(fast) of the close is above SMA(slow), else flat."
    parameters = (
        Parameter("fast", int, 20, 2, 1000, "bars in the fast moving average"),
        Parameter("slow", int, 100, 3, 5000, "bars in the slow moving average"),
    )

    def check_parameters(self, params: Parameters) -> None:
        _check_fast_below_slow(self.name, params)

    def warmup_bars(self, params: Parameters) -> int:
        return int(params["slow"]) - 1

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        prices = _prices(bars)
        fast = simple_moving_average(prices, int(params["fast"]))
        slow = simple_moving_average(prices, int(params["slow"]))
        # NaN comparisons are False, so the warm-up bars are flat.
        return (fast > slow).astype(np.float64)


class EmaCrossover(Strategy):
    """Long while the fast exponential moving average is above the slow one."""

    name = "ema_crossover"
    description = "Long while EMA(fast) of the close is above EMA(slow), else flat."
    parameters = (
        Parameter("fast", int, 12, 2, 1000, "span of the fast exponential moving average"),
        Parameter("slow", int, 26, 3, 5000, "span of the slow exponential moving average"),
    )

    def check_parameters(self, params: Parameters) -> None:
        _check_fast_below_slow(self.name, params)

    def warmup_bars(self, params: Parameters) -> int:
        return int(params["slow"]) - 1

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        prices = _prices(bars)
        fast = exponential_moving_average(prices, int(params["fast"]))
        slow = exponential_moving_average(prices, int(params["slow"]))
        held = (fast > slow).astype(np.float64)
        # An EMA is defined from the first bar but means little before `slow` bars.
        held[: self.warmup_bars(params)] = 0.0
        return held


class RsiMeanReversion(Strategy):
    """Buy when RSI says oversold, sell when it says overbought."""

    name = "rsi_mean_reversion"
    description = "Enter when RSI(period) falls below 'lower', exit when it rises above 'upper'."
    parameters = (
        Parameter("period", int, 14, 2, 500, "bars in Wilder's RSI"),
        Parameter("lower", float, 30.0, 1.0, 99.0, "RSI level below which to buy"),
        Parameter("upper", float, 70.0, 1.0, 99.0, "RSI level above which to sell"),
    )

    def check_parameters(self, params: Parameters) -> None:
        if params["lower"] >= params["upper"]:
            raise ParameterError(
                f"Parameter 'lower' of {self.name} must be smaller than 'upper', "
                f"got lower={params['lower']} and upper={params['upper']}."
            )

    def warmup_bars(self, params: Parameters) -> int:
        return int(params["period"])

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        rsi = relative_strength_index(_prices(bars), int(params["period"]))
        return hold_between(rsi < params["lower"], rsi > params["upper"])


class BollingerBreakout(Strategy):
    """Ride breakouts above the upper Bollinger band until the close falls back to the middle."""

    name = "bollinger_breakout"
    description = "Enter when the close breaks above SMA(period) + width x std; exit below the SMA."
    parameters = (
        Parameter("period", int, 20, 2, 1000, "bars in the moving average and deviation"),
        Parameter("width", float, 2.0, 0.1, 10.0, "band width in standard deviations"),
    )

    def warmup_bars(self, params: Parameters) -> int:
        return int(params["period"]) - 1

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        prices = _prices(bars)
        period = int(params["period"])
        middle = simple_moving_average(prices, period)
        upper = middle + float(params["width"]) * rolling_standard_deviation(prices, period)
        return hold_between(prices > upper, prices < middle)


class Momentum(Strategy):
    """Long while the return over the last N bars exceeds a threshold."""

    name = "momentum"
    description = "Long while close / close N bars ago - 1 is above 'threshold', else flat."
    parameters = (
        Parameter("lookback", int, 24, 1, 10000, "bars to measure the return over"),
        Parameter("threshold", float, 0.0, -1.0, 10.0, "minimum return to be long"),
    )

    def warmup_bars(self, params: Parameters) -> int:
        return int(params["lookback"])

    def targets(
        self, bars: pd.DataFrame, params: Parameters, features: pd.DataFrame | None = None
    ) -> np.ndarray:
        prices = _prices(bars)
        lookback = int(params["lookback"])
        past_return = np.full(prices.shape, np.nan)
        past_return[lookback:] = prices[lookback:] / prices[:-lookback] - 1.0
        return (past_return > params["threshold"]).astype(np.float64)


BUILTIN_STRATEGIES: tuple[type[Strategy], ...] = (
    BuyAndHold,
    SmaCrossover,
    EmaCrossover,
    RsiMeanReversion,
    BollingerBreakout,
    Momentum,
)
