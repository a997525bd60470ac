"""Round-trip trades from fills: from the fill that leaves flat to the fill that returns to flat.

With fractional targets a trade may hold several buys and sells; its entry and exit prices are
volume-weighted averages and its profit counts every fee. A trade still open at the end is
valued at the last mark price and flagged `open`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from omc.backtest.engine import Fills


@dataclass(frozen=True)
class Trades:
    """Column arrays, one row per round trip."""

    entry_bar: np.ndarray
    exit_bar: np.ndarray  # -1 while the trade is still open
    entry_price: np.ndarray
    exit_price: np.ndarray
    size: np.ndarray  # largest number of units held during the trade
    fees: np.ndarray
    profit: np.ndarray  # quote currency, after fees
    return_fraction: np.ndarray  # profit over the cash paid to enter

    def __len__(self) -> int:
        return len(self.entry_bar)

    @property
    def closed(self) -> np.ndarray:
        """A mask of trades that have been exited."""
        return self.exit_bar >= 0

    def to_frame(self, index: pd.DatetimeIndex) -> pd.DataFrame:
        """A table with entry and exit times, for `--trades FILE.csv` and reports."""
        exit_times = pd.Series(pd.NaT, index=range(len(self)), dtype="datetime64[ns, UTC]")
        closed = self.closed
        exit_times[closed] = index[self.exit_bar[closed]]
        return pd.DataFrame(
            {
                "entry_time": index[self.entry_bar],
                "exit_time": exit_times.to_numpy(),
                "entry_price": self.entry_price,
                "exit_price": self.exit_price,
                "size": self.size,
                "fees": self.fees,
                "profit": self.profit,
                "return": self.return_fraction,
                "open": ~closed,
            }
        )


def round_trips(fills: Fills, final_mark: float) -> Trades:
    """Group fills into round trips; an unfinished one is closed on paper at `final_mark`."""
    if len(fills) == 0:
        empty = np.empty(0)
        none = np.empty(0, dtype=np.intp)
        return Trades(none, none, empty, empty, empty, empty, empty, empty)
    units_before = np.concatenate(([0.0], fills.units_after[:-1]))
    starts = (units_before <= 0.0) & (fills.units > 0.0)
    trade_of_fill = np.cumsum(starts) - 1
    keep = trade_of_fill >= 0  # a sell before any buy cannot happen, but guard anyway
    trade_of_fill, fills = trade_of_fill[keep], _subset(fills, keep)
    count = int(trade_of_fill[-1]) + 1 if len(trade_of_fill) else 0
    buys = fills.units > 0.0

    def total(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(trade_of_fill[mask], weights=values[mask], minlength=count)

    bought_units = total(fills.units, buys)
    sold_units = total(-fills.units, ~buys)
    paid = total(fills.notional + fills.fee, buys)
    received = total(fills.notional - fills.fee, ~buys)
    bought_value = total(fills.notional, buys)
    sold_value = total(fills.notional, ~buys)
    fees = np.bincount(trade_of_fill, weights=fills.fee, minlength=count)
    size = np.maximum.reduceat(fills.units_after, np.flatnonzero(starts[keep]))

    last_fill = np.flatnonzero(np.diff(np.append(trade_of_fill, count)))
    is_closed = fills.units_after[last_fill] <= 0.0
    exit_bar = np.where(is_closed, fills.bar[last_fill], -1)
    remaining = np.where(is_closed, 0.0, fills.units_after[last_fill])
    received = received + remaining * final_mark
    sold_value = sold_value + remaining * final_mark
    sold_units = sold_units + remaining
    with np.errstate(divide="ignore", invalid="ignore"):
        exit_price = np.where(sold_units > 0, sold_value / sold_units, np.nan)
        return_fraction = np.where(paid > 0, received / paid - 1.0, 0.0)
    return Trades(
        entry_bar=fills.bar[np.flatnonzero(starts[keep])],
        exit_bar=exit_bar,
        entry_price=bought_value / bought_units,
        exit_price=exit_price,
        size=size,
        fees=fees,
        profit=received - paid,
        return_fraction=return_fraction,
    )


def _subset(fills: Fills, mask: np.ndarray) -> Fills:
    return Fills(
        fills.bar[mask],
        fills.units[mask],
        fills.price[mask],
        fills.notional[mask],
        fills.fee[mask],
        fills.units_after[mask],
    )
