"""The latest price of each market in the hot cache, and reading it back with its age.

Keys are ``prices:latest:{QUOTE}:{COIN}``. When the cache has nothing (another process's
in-process cache, or an expired key), readers fall back to the newest bar in the database.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.cache import Cache
from omc.db import as_utc
from omc.ledgers.exchange.models import PriceBar

PREFIX = "prices:latest:"


def cache_key(coin: str, quote: str = "AUD") -> str:
    return f"{PREFIX}{quote.upper()}:{coin.upper()}"


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def store_latest(cache: Cache, rows: Iterable[Mapping[str, Any]], *, ttl: float | None) -> None:
    """Put each row's bid/ask/last and the time it was fetched into the cache."""
    for row in rows:
        cache.set(
            cache_key(row["coin_type"], row["quote"]),
            {
                "coin_type": row["coin_type"],
                "quote": row["quote"],
                "bid": _number(row["bid"]),
                "ask": _number(row["ask"]),
                "last": _number(row["last"]),
                "source": row["source"],
                "fetched_at": as_utc(row["collected_at"]).isoformat(),
            },
            ttl_seconds=ttl,
        )


def latest_prices(
    cache: Cache | None,
    engine: Engine | None,
    coins: list[str] | None,
    *,
    quote: str = "AUD",
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """The latest snapshot per coin with ``age_seconds``: from the cache, else the database."""
    wanted = [coin.upper() for coin in coins] if coins else None
    found: dict[str, dict[str, Any]] = {}
    if cache is not None:
        keys = (
            [cache_key(coin, quote) for coin in wanted]
            if wanted
            else cache.keys(f"{PREFIX}{quote.upper()}:*")
        )
        for value in cache.get_many(keys).values():
            found[value["coin_type"]] = {**value, "from": "cache"}
    missing = [coin for coin in wanted if coin not in found] if wanted else None
    if engine is not None and (missing is None or missing):
        for value in _latest_from_database(engine, missing, quote):
            found.setdefault(value["coin_type"], value)
    rows = []
    for coin in sorted(found):
        value = found[coin]
        fetched = dt.datetime.fromisoformat(value["fetched_at"])
        rows.append({**value, "age_seconds": round((now - fetched).total_seconds(), 1)})
    return rows


def _latest_from_database(
    engine: Engine, coins: list[str] | None, quote: str
) -> list[dict[str, Any]]:
    table = PriceBar.__table__
    newest = sa.select(table.c.coin_type, sa.func.max(table.c.timestamp).label("at")).where(
        table.c.quote == quote.upper()
    )
    if coins:
        newest = newest.where(table.c.coin_type.in_(coins))
    newest = newest.group_by(table.c.coin_type).subquery()
    query = sa.select(table).join(
        newest,
        sa.and_(
            table.c.coin_type == newest.c.coin_type,
            table.c.timestamp == newest.c.at,
            table.c.quote == quote.upper(),
        ),
    )
    with engine.connect() as connection:
        return [
            {
                "coin_type": row.coin_type,
                "quote": row.quote,
                "bid": _number(row.bid),
                "ask": _number(row.ask),
                "last": _number(row.last),
                "source": row.source,
                "fetched_at": as_utc(row.collected_at).isoformat(),
                "from": "database",
            }
            for row in connection.execute(query)
        ]
