"""What a tick sees of the market: the bars known now, at the deployment's bar size, and the
newest price with when omc learned it.

Bars come from ``price_data_5min`` through the backtest's own loader (``as_of`` = now, so a
tick sees exactly what a backtest at that moment would have seen), then are grouped into the
deployment's bars (left-labelled, aligned to the epoch) when the stored rows are finer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from omc.backtest.data import BarsQuery, load_bars
from omc.db import as_utc
from omc.ledgers.exchange.models import PriceBar

PRICES = PriceBar.__table__
MIN_LOOKBACK_BARS = 500
STORED_BAR_SECONDS = 300


@dataclass(frozen=True)
class LatestPrice:
    """The newest stored row of a market: its bar time, prices and when it was collected."""

    timestamp: dt.datetime
    last: Decimal
    bid: Decimal | None
    ask: Decimal | None
    collected_at: dt.datetime


def latest_price(connection: Any, coin: str, quote: str, as_of: dt.datetime) -> LatestPrice | None:
    row = connection.execute(
        sa.select(
            PRICES.c.timestamp, PRICES.c.last, PRICES.c.bid, PRICES.c.ask, PRICES.c.collected_at
        )
        .where(
            PRICES.c.coin_type == coin,
            PRICES.c.quote == quote,
            PRICES.c.collected_at <= as_of,
        )
        .order_by(PRICES.c.timestamp.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return LatestPrice(as_utc(row.timestamp), row.last, row.bid, row.ask, as_utc(row.collected_at))


def lookback_bars(strategy: Any, params: dict[str, Any]) -> int:
    """How many bars a tick loads: ten warm-ups, at least 500 (averages settle long before)."""
    return max(10 * (int(strategy.warmup_bars(params)) + 2), MIN_LOOKBACK_BARS)


def to_bar_size(frame: pd.DataFrame, bar_seconds: int) -> pd.DataFrame:
    """Group stored rows into bars of ``bar_seconds`` (open first, close last); rows that are
    already aligned one per bar are returned unchanged."""
    if len(frame) == 0:
        return frame
    stamps = frame.index.asi8 // 1_000_000_000 if frame.index.unit == "ns" else None
    if stamps is None:
        stamps = frame.index.as_unit("s").asi8
    if np.all(stamps % bar_seconds == 0) and (len(stamps) < 2 or np.all(np.diff(stamps) > 0)):
        return frame
    rule = f"{bar_seconds}s"
    columns = {"open": "first", "high": "max", "low": "min", "close": "last", "last": "last"}
    agg = {name: how for name, how in columns.items() if name in frame.columns}
    if "volume" in frame.columns:
        agg["volume"] = "sum"
    grouped = frame.resample(rule, label="left", closed="left", origin="epoch").agg(agg)
    price = "close" if "close" in grouped.columns else "last"
    return grouped[grouped[price].notna()]


def tick_bars(
    connection: Any,
    coin: str,
    quote: str,
    bar_seconds: int,
    until: dt.datetime,
    as_of: dt.datetime,
    lookback: int,
) -> pd.DataFrame:
    """The deployment's bars that closed by ``until``, as known at ``as_of``.

    The stored rows are 5-minute bars at the finest, so the span read is ``lookback`` bars of
    at least 5 minutes each (a shorter bar, used in tests, still sees that much history).
    """
    since = until - dt.timedelta(seconds=max(bar_seconds, STORED_BAR_SECONDS) * lookback)
    frame = load_bars(connection, BarsQuery(coin, quote, since=since, until=until, as_of=as_of))
    return to_bar_size(frame, bar_seconds)
