"""The hot read path of ``fetch_price_data``: bars of one coin as plain dicts, near raw speed.

The timestamp is read as text in one fixed layout, ``YYYY-MM-DD?HH:MM:SS.ffffff`` (SQLite's
stored text as it is; ``to_char`` on PostgreSQL, independent of ``DateStyle``), and all of a
query's stamps become ISO 8601 (``2024-01-01T00:00:00+00:00``, as ``datetime.isoformat`` writes a
UTC time: microseconds only when not zero) with a few ``str`` operations on their joined text,
not one Python operation per row. Prices are cast to float in SQL. So no SQLAlchemy type
processor, no ``datetime`` and no ORM object is made per row: the driver's plain tuples become
dicts in one comprehension. The statement is built once per shape and dialect. The ``WHERE``
and ``ORDER BY`` follow the primary key ``(coin_type, timestamp, quote)``, so the rows are one
range of it, read in key order.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from omc.ledgers.exchange.models import PriceBar

PRICES = PriceBar.__table__
SEPARATOR = "|"  # never in a timestamp's text


def _stamp_text(dialect: str) -> sa.ColumnElement[str]:
    if dialect == "postgresql":
        utc = sa.func.timezone("UTC", PRICES.c.timestamp)
        return sa.type_coerce(sa.func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS.US'), sa.String)
    # SQLite keeps naive UTC text "YYYY-MM-DD HH:MM:SS.ffffff" (see omc.db.UTCDateTime).
    return sa.type_coerce(PRICES.c.timestamp, sa.String)


def iso_stamps(texts: list[str]) -> list[str]:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (or with ``T``) texts as ``datetime.isoformat`` of UTC."""
    if not texts:
        return []
    joined = SEPARATOR.join(texts) + SEPARATOR
    joined = joined.replace(" ", "T").replace(".000000" + SEPARATOR, SEPARATOR)
    return joined.replace(SEPARATOR, "+00:00" + SEPARATOR).split(SEPARATOR)[:-1]


@cache
def _statement(dialect: str, low: bool, market: bool, cutoff: bool) -> sa.Select[Any]:
    as_float = sa.Float()
    query = sa.select(
        _stamp_text(dialect),
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
    return query.order_by(PRICES.c.timestamp, PRICES.c.quote)


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
    query = _statement(
        connection.dialect.name, low is not None, market is not None, cutoff is not None
    )
    values = {"coin": coin, "high": high, "low": low, "market": market, "cutoff": cutoff}
    result = connection.execute(query, {name: value for name, value in values.items() if value})
    rows = result.cursor.fetchall()  # plain driver tuples: no Row object per row
    result.close()
    stamps = iso_stamps(list(map(itemgetter(0), rows)))
    return [
        {
            "timestamp": stamp,
            "coin_type": coin,
            "quote": quote,
            "bid": bid,
            "ask": ask,
            "last": last,
        }
        for stamp, (_, quote, bid, ask, last) in zip(stamps, rows, strict=True)
    ]
