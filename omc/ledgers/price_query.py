"""The hot read path of ``fetch_price_data``: bars of one coin as plain dicts, near raw speed.

The timestamp is rendered as ISO 8601 text (``2024-01-01T00:00:00+00:00``, as
``datetime.isoformat`` writes a UTC time) by the database, and prices are cast to float there,
so no SQLAlchemy type processor and no ORM object runs per row: the rows come back as the
driver's plain tuples and become dicts in one comprehension. The ``WHERE`` and ``ORDER BY`` match
the ``(coin_type, timestamp, quote)`` unique index, so the rows are read in index order.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from omc.ledgers.exchange.models import PriceBar

PRICES = PriceBar.__table__


def _iso_sqlite() -> sa.ColumnElement[str]:
    # SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (see omc.db.UTCDateTime).
    text = sa.type_coerce(PRICES.c.timestamp, sa.String)
    date, clock = sa.func.substr(text, 1, 10), sa.func.substr(text, 12, 8)
    fraction = sa.case(
        (sa.func.substr(text, 21) == "000000", ""), else_="." + sa.func.substr(text, 21)
    )
    return sa.type_coerce(date + "T" + clock + fraction + "+00:00", sa.String)


def _iso_postgresql() -> sa.ColumnElement[str]:
    utc = sa.func.timezone("UTC", PRICES.c.timestamp)
    micros = sa.func.to_char(utc, "US")
    fraction = sa.case((micros == "000000", ""), else_="." + micros)
    return sa.type_coerce(
        sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS') + fraction + "+00:00", sa.String
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
    iso = _iso_postgresql() if connection.dialect.name == "postgresql" else _iso_sqlite()
    as_float = sa.Float()
    query = sa.select(
        iso,
        PRICES.c.quote,
        sa.cast(PRICES.c.bid, as_float),
        sa.cast(PRICES.c.ask, as_float),
        sa.cast(PRICES.c.last, as_float),
    ).where(PRICES.c.coin_type == coin, PRICES.c.timestamp <= high)
    if low is not None:
        query = query.where(PRICES.c.timestamp >= low)
    if market is not None:
        query = query.where(PRICES.c.quote == market)
    if cutoff is not None:
        query = query.where(PRICES.c.collected_at <= cutoff)
    query = query.order_by(PRICES.c.timestamp, PRICES.c.quote)
    result = connection.execute(query)
    rows = result.cursor.fetchall()  # plain driver tuples: no Row object per row
    result.close()
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
