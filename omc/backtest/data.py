"""Bars for a backtest, read from `price_data_5min`: one market, one span, as omc knew it then.

The frame is what the engine and strategies take: a UTC `DatetimeIndex` of bar open times and
float columns `open`/`high`/`low`/`close`/`volume` where the stored bars carry them, else a
single `last` column (CoinSpot's price-only history). Rows are read with SQLAlchemy Core, prices
cast to floats in SQL (analysis may use floats; the fills ledger is exact on its own). With
`as_of`, only rows collected by then are used, so a backtest "at" a past time sees no later
corrections or late imports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.backtest.errors import NoDataError
from omc.db import as_utc
from omc.ledgers.exchange.models import PriceBar

PRICES = PriceBar.__table__
OPTIONAL_COLUMNS = ("open", "high", "low", "volume")


@dataclass(frozen=True)
class BarsQuery:
    """Which bars to load: a coin and quote, `since <= timestamp < until`, known by `as_of`."""

    coin: str
    quote: str = "AUD"
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    as_of: dt.datetime | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "coin", self.coin.strip().upper())
        object.__setattr__(self, "quote", self.quote.strip().upper())
        for name in ("since", "until", "as_of"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, as_utc(value))
        if self.since is not None and self.until is not None and self.since >= self.until:
            raise NoDataError(
                f"The span is empty: --since {_day(self.since)} is not before "
                f"--until {_day(self.until)}."
            )

    @property
    def market(self) -> str:
        return f"{self.coin}/{self.quote}"

    def describe_span(self) -> str:
        """The span in words, for messages: 'between 2024-01-01 and 2024-07-01'."""
        parts = []
        if self.since is not None and self.until is not None:
            parts.append(f"between {_day(self.since)} and {_day(self.until)}")
        elif self.since is not None:
            parts.append(f"since {_day(self.since)}")
        elif self.until is not None:
            parts.append(f"before {_day(self.until)}")
        if self.as_of is not None:
            parts.append(f"as known at {_day(self.as_of)}")
        return " ".join(parts)


def _day(value: dt.datetime) -> str:
    """A datetime as a date when it is midnight, else to the minute (UTC)."""
    value = as_utc(value)
    if value.time() == dt.time(0, 0):
        return value.date().isoformat()
    return value.strftime("%Y-%m-%d %H:%M")


def _dialect(connectable: Engine | Any) -> str:
    bind = connectable.get_bind() if hasattr(connectable, "get_bind") else connectable
    return bind.dialect.name


def _timestamps(connectable: Engine | Any) -> sa.ColumnElement[Any]:
    """The timestamp column without per-row conversion: SQLite's stored ISO 8601 text (see
    ``omc.db.ISOUTCDateTime``; parsed in one vectorised step), PostgreSQL's aware datetimes as
    psycopg returns them."""
    if _dialect(connectable) == "sqlite":
        return sa.type_coerce(PRICES.c.timestamp, sa.String())
    return sa.type_coerce(PRICES.c.timestamp, sa.DateTime(timezone=True))


def _run(connectable: Engine | Any, query: sa.Executable) -> list[Any]:
    """Execute on an engine (own connection) or on a connection/session the caller holds."""
    if isinstance(connectable, Engine):
        with connectable.connect() as connection:
            return list(connection.execute(query).all())
    return list(connectable.execute(query).all())


def load_bars(connectable: Engine | Any, query: BarsQuery) -> pd.DataFrame:
    """The bars `query` asks for, oldest first; raises `NoDataError` naming what does exist."""
    as_float = sa.Float()
    statement = sa.select(
        _timestamps(connectable),
        *(sa.cast(PRICES.c[name], as_float) for name in ("open", "high", "low", "last", "volume")),
    ).where(PRICES.c.coin_type == query.coin, PRICES.c.quote == query.quote)
    if query.since is not None:
        statement = statement.where(PRICES.c.timestamp >= query.since)
    if query.until is not None:
        statement = statement.where(PRICES.c.timestamp < query.until)
    if query.as_of is not None:
        statement = statement.where(PRICES.c.collected_at <= query.as_of)
    rows = _run(connectable, statement.order_by(PRICES.c.timestamp))
    if not rows:
        raise NoDataError(_no_data_message(connectable, query))
    return _frame(rows)


def _frame(rows: list[Any]) -> pd.DataFrame:
    """Rows of (timestamp, open, high, low, last, volume) → the engine's bar frame."""
    columns = list(zip(*rows, strict=True))
    index = pd.DatetimeIndex(
        pd.to_datetime(list(columns[0]), utc=True, format="ISO8601"), name="timestamp"
    )
    values = {
        name: np.array(column, dtype=np.float64)  # None → NaN
        for name, column in zip(("open", "high", "low", "last", "volume"), columns[1:], strict=True)
    }
    known = {name: values[name] for name in OPTIONAL_COLUMNS if np.isfinite(values[name]).any()}
    if not {"open", "high", "low"} & set(known):
        # Price-only history (CoinSpot polls before bars carried an open): `last` is all we have.
        frame = pd.DataFrame({"last": values["last"]}, index=index)
        if "volume" in known:
            frame["volume"] = known["volume"]
        return frame
    ordered = {name: known[name] for name in ("open", "high", "low") if name in known}
    ordered["close"] = values["last"]
    if "volume" in known:
        ordered["volume"] = known["volume"]
    return pd.DataFrame(ordered, index=index)


def market_coverage(connectable: Engine | Any, coin: str, as_of: dt.datetime | None = None):
    """Each quote `coin` has bars in, with the bar count and first and last bar times."""
    statement = (
        sa.select(
            PRICES.c.quote,
            sa.func.count(),
            sa.func.min(PRICES.c.timestamp),
            sa.func.max(PRICES.c.timestamp),
        )
        .where(PRICES.c.coin_type == coin.strip().upper())
        .group_by(PRICES.c.quote)
        .order_by(PRICES.c.quote)
    )
    if as_of is not None:
        statement = statement.where(PRICES.c.collected_at <= as_utc(as_of))
    return [
        (quote, int(count), as_utc(_as_datetime(first)), as_utc(_as_datetime(last)))
        for quote, count, first, last in _run(connectable, statement)
    ]


def _as_datetime(value: Any) -> dt.datetime:
    # min()/max() lose the column type on SQLite, which then returns the stored text.
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    return value


def _no_data_message(connectable: Engine | Any, query: BarsQuery) -> str:
    coverage = market_coverage(connectable, query.coin, query.as_of)
    if not coverage:
        return (
            f"No price bars for {query.coin}: import or backfill its history first "
            "(omc data import, omc data backfill)."
        )
    same_quote = [entry for entry in coverage if entry[0] == query.quote]
    if not same_quote:
        quotes = ", ".join(entry[0] for entry in coverage)
        return f"No price bars for {query.market}; {query.coin} has bars quoted in {quotes}."
    _, count, first, last = same_quote[0]
    return (
        f"No {query.market} price bars {query.describe_span()}; the data has {count} bars "
        f"from {_day(first)} to {_day(last)}."
    )
