"""The hot read path of ``fetch_price_data``: bars of one coin as plain dicts, near raw speed.

The statement is built with SQLAlchemy once per driver and shape, compiled once, and run on the
caller's own driver connection (the one under its ``Session`` or ``Connection``, inside its
transaction), so none of SQLAlchemy's per-execution machinery runs on this path: the driver's
plain tuples become dicts in one comprehension. The timestamp arrives as the ISO 8601 text the
tools return (``2024-01-01T00:00:00+00:00``, as ``datetime.isoformat`` writes a UTC time:
microseconds only when not zero): SQLite stores it that way (:class:`omc.db.ISOUTCDateTime`),
PostgreSQL renders it with ``to_char``, independent of ``DateStyle``. Prices are cast to float
in SQL. So no type processor, no ``datetime`` and no ORM object is made per row. The ``WHERE``
and ``ORDER BY`` follow the primary key ``(coin_type, timestamp, quote)``, so the rows are one
range of it, read in key order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from omc.db import as_utc, iso_text
from omc.ledgers.exchange.models import PriceBar

PRICES = PriceBar.__table__


def _stamp_text(dialect: str) -> sa.ColumnElement[str]:
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", PRICES.c.timestamp)
        seconds = sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS')
        fraction = sa.case(
            (sa.func.date_trunc("second", utc) == utc, ""), else_=sa.func.to_char(utc, ".US")
        )
        return sa.type_coerce(sa.func.concat(seconds, fraction, "+00:00"), sa.String)
    # SQLite stores the ISO text itself (omc.db.ISOUTCDateTime).
    return sa.type_coerce(PRICES.c.timestamp, sa.String)


@dataclass(frozen=True)
class DriverStatement:
    """A compiled statement for the driver: its SQL text, the values of its constant parameters
    (such as ``to_char``'s format) and its parameters' names in order (positional drivers) or
    ``None`` (named drivers take a dict)."""

    sql: str
    constants: dict[str, Any]
    order: tuple[str, ...] | None

    def parameters(self, values: dict[str, Any]) -> Any:
        values = {**self.constants, **values}
        return values if self.order is None else [values[name] for name in self.order]


_STATEMENTS: dict[tuple[str, str, str, bool, bool, bool], DriverStatement] = {}


def _statement(dialect: sa.Dialect, low: bool, market: bool, cutoff: bool) -> DriverStatement:
    """The statement for this driver and shape, compiled on first use."""
    key = (dialect.name, dialect.driver, dialect.paramstyle, low, market, cutoff)
    statement = _STATEMENTS.get(key)
    if statement is None:
        statement = _STATEMENTS[key] = _compile(dialect, low, market, cutoff)
    return statement


def _compile(dialect: sa.Dialect, low: bool, market: bool, cutoff: bool) -> DriverStatement:
    as_float = sa.Float()
    query = sa.select(
        _stamp_text(dialect.name),
        PRICES.c.quote,
        sa.cast(PRICES.c.bid, as_float),
        sa.cast(PRICES.c.ask, as_float),
        sa.cast(PRICES.c.last, as_float),
    ).where(PRICES.c.coin_type == sa.bindparam("coin"), PRICES.c.timestamp <= sa.bindparam("high"))
    if low:
        query = query.where(PRICES.c.timestamp >= sa.bindparam("low"))
    if market:
        query = query.where(PRICES.c.quote == sa.bindparam("market"))
    if cutoff:
        query = query.where(PRICES.c.collected_at <= sa.bindparam("cutoff"))
    compiled = query.order_by(PRICES.c.timestamp, PRICES.c.quote).compile(dialect=dialect)
    order = tuple(compiled.positiontup) if compiled.positional else None  # type: ignore[arg-type]
    given = dict.fromkeys(("coin", "high", "low", "market", "cutoff"))
    constants = {
        name: value for name, value in compiled.construct_params(given).items() if name not in given
    }
    return DriverStatement(compiled.string, constants, order)


def _driver_time(value: dt.datetime, dialect: str, *, iso: bool = False) -> Any:
    """A bound time as the driver takes it: aware UTC (psycopg); on SQLite the text the column
    stores: ISO for ``timestamp`` (``iso``), else the text SQLAlchemy stores for a ``DateTime``
    (zero-padded, whatever the year)."""
    value = as_utc(value)
    if dialect == "postgresql":
        return value
    if iso:
        return iso_text(value)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d} "
        f"{value.hour:02d}:{value.minute:02d}:{value.second:02d}.{value.microsecond:06d}"
    )


def price_rows(
    connection: sa.Connection,
    coin: str,
    low: dt.datetime | None,
    high: dt.datetime,
    *,
    market: str | None = None,
    cutoff: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """Bars of ``coin`` with ``low <= timestamp <= high`` (and ``collected_at <= cutoff``)."""
    dialect = connection.dialect
    statement = _statement(dialect, low is not None, market is not None, cutoff is not None)
    values: dict[str, Any] = {"coin": coin, "high": _driver_time(high, dialect.name, iso=True)}
    if low is not None:
        values["low"] = _driver_time(low, dialect.name, iso=True)
    if market is not None:
        values["market"] = market
    if cutoff is not None:
        values["cutoff"] = _driver_time(cutoff, dialect.name)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(statement.sql, statement.parameters(values))
        rows = cursor.fetchall()
    finally:
        cursor.close()
    return [
        {
            "timestamp": stamp,
            "coin_type": coin,
            "quote": quote,
            "bid": bid,
            "ask": ask,
            "last": last,
        }
        for stamp, quote, bid, ask, last in rows
    ]
