"""The agents' read-only data tools (seed §10): one function per question, plain dicts out.

Every tool takes a session (or connection) first, matches symbols case-insensitively, accepts a
keyword-only ``as_of`` and then returns only rows with ``collected_at <= as_of`` (so backtests
and the lab see what omc knew then), and degrades gracefully (seed §10.8): missing data or an
unknown coin gives an empty result, naive datetimes are UTC, a reversed range is swapped, and a
value that is not a date gives an empty result rather than an exception. The price path is the
hot one: see :mod:`omc.ledgers.price_query` (database-rendered text, driver tuples, no ORM).
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from omc.db import as_utc, utcnow
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.exchange.models import Order, Position, PriceBar
from omc.ledgers.glass.models import OnChainMetric, ProtocolFundamental, SmartMoneyFlow
from omc.ledgers.human.models import NewsSentiment, SocialSentiment
from omc.ledgers.price_query import price_rows

log = logging.getLogger(__name__)
PRICES = PriceBar.__table__
ORDER_HISTORY_DEFAULT = dt.timedelta(days=30)


class BadValue(ValueError):
    """A query value the tools cannot use; callers get an empty result."""


def _when(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return as_utc(value)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    if isinstance(value, str):
        try:
            return as_utc(dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
        except ValueError:
            raise BadValue(f"not a date: {value!r}") from None
    raise BadValue(f"not a date: {value!r}")


def _range(
    start: Any, end: Any, as_of: Any
) -> tuple[dt.datetime | None, dt.datetime, dt.datetime | None]:
    cutoff = _when(as_of)
    low = _when(start)
    high = _when(end) or cutoff or utcnow()
    if low is not None and low > high:
        low, high = high, low
    return low, high, cutoff


def _symbol(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise BadValue(f"not a symbol: {value!r}")
    return value.strip().upper()


def _symbols(values: Iterable[Any] | str | None) -> set[str] | None:
    if values is None:
        return None
    if isinstance(values, str):
        values = [values]
    return {_symbol(value) for value in values}


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else as_utc(value).isoformat()


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _connection(session: Any) -> sa.Connection:
    """The Core connection of a session (its transaction), or the connection itself."""
    return session.connection() if isinstance(session, Session) else session


def _execute(session: Any, query: sa.Executable) -> sa.Result[Any]:
    return session.execute(query)


def fetch_price_data(
    session: Any,
    coin_type: str,
    start_date: Any,
    end_date: Any = None,
    *,
    as_of: Any = None,
    quote: str | None = None,
) -> list[dict[str, Any]]:
    """5-minute bars of one coin: ``timestamp`` (ISO), ``coin_type``, ``quote``, ``bid``, ``ask``,
    ``last`` (floats), oldest first. ``quote`` narrows to one market (AUD, USDT, …)."""
    try:
        coin = _symbol(coin_type)
        low, high, cutoff = _range(start_date, end_date, as_of)
        market = _symbol(quote) if quote is not None else None
    except BadValue as error:
        log.info("fetch_price_data: %s", error)
        return []
    return price_rows(_connection(session), coin, low, high, market=market, cutoff=cutoff)


def get_available_coins(session: Any, *, as_of: Any = None) -> list[str]:
    """Every coin with price data, sorted."""
    try:
        cutoff = _when(as_of)
    except BadValue:
        return []
    query = sa.select(PRICES.c.coin_type).distinct().order_by(PRICES.c.coin_type)
    if cutoff is not None:
        query = query.where(PRICES.c.collected_at <= cutoff)
    return [row[0] for row in _execute(session, query)]


def _in_span(query: sa.Select, column: sa.ColumnElement, low: Any, high: Any) -> sa.Select:
    """Rows whose ``column`` lies in ``[low, high]`` (``low`` None: no lower bound)."""
    query = query.where(column <= high)
    return query if low is None else query.where(column >= low)


def _known_by(query: sa.Select, table: sa.Table, cutoff: Any) -> sa.Select:
    """Point in time: only rows omc had collected by ``cutoff`` (None: every row)."""
    return query if cutoff is None else query.where(table.c.collected_at <= cutoff)


def fetch_on_chain_metrics(
    session: Any,
    asset: str,
    start_date: Any,
    end_date: Any = None,
    metric_names: Iterable[str] | None = None,
    *,
    as_of: Any = None,
) -> list[dict[str, Any]]:
    """``asset``, ``metric_name``, ``metric_value``, ``source``, ``timestamp``, ``collected_at``."""
    table = OnChainMetric.__table__
    try:
        symbol = _symbol(asset)
        low, high, cutoff = _range(start_date, end_date, as_of)
    except BadValue:
        return []
    query = _in_span(sa.select(table).where(table.c.asset == symbol), table.c.timestamp, low, high)
    query = _known_by(query, table, cutoff)
    if metric_names:
        query = query.where(table.c.metric_name.in_([str(name) for name in metric_names]))
    return [
        {
            "asset": row.asset,
            "metric_name": row.metric_name,
            "metric_value": row.metric_value,
            "source": row.source,
            "timestamp": _iso(row.timestamp),
            "collected_at": _iso(row.collected_at),
        }
        for row in _execute(session, query.order_by(table.c.timestamp, table.c.metric_name))
    ]


def fetch_smart_money_flows(
    session: Any, token: str, start_date: Any, end_date: Any = None, *, as_of: Any = None
) -> list[dict[str, Any]]:
    """Nansen smart-money snapshots of one token, by ``collected_at`` (seed §10.2 keys)."""
    table = SmartMoneyFlow.__table__
    try:
        symbol = _symbol(token)
        low, high, cutoff = _range(start_date, end_date, as_of)
    except BadValue:
        return []
    query = sa.select(table).where(table.c.token == symbol)
    query = _known_by(_in_span(query, table.c.collected_at, low, high), table, cutoff)
    return [
        {
            "token": row.token,
            "chain": row.chain,
            "net_flow_usd": row.net_flow_usd,
            "buying_wallet_count": row.buying_wallet_count,
            "selling_wallet_count": row.selling_wallet_count,
            "buying_wallets": list(row.buying_wallets),
            "selling_wallets": list(row.selling_wallets),
            "timestamp": _iso(row.timestamp),
            "collected_at": _iso(row.collected_at),
        }
        for row in _execute(session, query.order_by(table.c.collected_at))
    ]


def _matches(currencies: list[str], wanted: set[str] | None) -> bool:
    return wanted is None or bool({code.upper() for code in currencies} & wanted)


def fetch_sentiment_data(
    session: Any,
    start_date: Any,
    end_date: Any = None,
    platform: str | None = None,
    currencies: Iterable[str] | None = None,
    *,
    as_of: Any = None,
) -> dict[str, list[dict[str, Any]]]:
    """``{"news_sentiment": [...], "social_sentiment": [...]}``; ``platform`` filters social."""
    empty: dict[str, list[dict[str, Any]]] = {"news_sentiment": [], "social_sentiment": []}
    try:
        low, high, cutoff = _range(start_date, end_date, as_of)
        wanted = _symbols(currencies)
    except BadValue:
        return empty
    news, social = NewsSentiment.__table__, SocialSentiment.__table__
    news_query = _in_span(sa.select(news), news.c.published_at, low, high)
    news_query = _known_by(news_query, news, cutoff)
    social_query = _in_span(sa.select(social), social.c.posted_at, low, high)
    social_query = _known_by(social_query, social, cutoff)
    if platform:
        social_query = social_query.where(sa.func.lower(social.c.platform) == platform.lower())
    for row in _execute(session, news_query.order_by(news.c.published_at)):
        if _matches(row.currencies, wanted):
            empty["news_sentiment"].append(
                {
                    "title": row.title,
                    "source": row.source,
                    "url": row.url,
                    "published_at": _iso(row.published_at),
                    "sentiment": row.sentiment,
                    "sentiment_score": row.sentiment_score,
                    "currencies": list(row.currencies),
                    "collected_at": _iso(row.collected_at),
                }
            )
    for row in _execute(session, social_query.order_by(social.c.posted_at)):
        if _matches(row.currencies, wanted):
            empty["social_sentiment"].append(
                {
                    "platform": row.platform,
                    "content": row.content,
                    "score": row.score,
                    "comments": row.comments,
                    "sentiment": row.sentiment,
                    "sentiment_score": row.sentiment_score,
                    "currencies": list(row.currencies),
                    "posted_at": _iso(row.posted_at),
                    "collected_at": _iso(row.collected_at),
                }
            )
    return empty


def fetch_catalyst_events(
    session: Any,
    start_date: Any,
    end_date: Any = None,
    event_types: Iterable[str] | None = None,
    currencies: Iterable[str] | None = None,
    *,
    as_of: Any = None,
) -> list[dict[str, Any]]:
    """``event_type``, ``title``, ``description``, ``impact_score``, ``detected_at`` (when omc
    saw it), ``published_at``, ``currencies``, ``source``, ``url``."""
    table = CatalystEvent.__table__
    try:
        low, high, cutoff = _range(start_date, end_date, as_of)
        wanted = _symbols(currencies)
    except BadValue:
        return []
    query = _in_span(sa.select(table), table.c.published_at, low, high)
    query = _known_by(query, table, cutoff)
    if event_types:
        query = query.where(
            sa.func.lower(table.c.event_type).in_([str(t).lower() for t in event_types])
        )
    return [
        {
            "event_type": row.event_type,
            "title": row.title,
            "description": row.description,
            "impact_score": row.impact_score,
            "detected_at": _iso(row.collected_at),
            "published_at": _iso(row.published_at),
            "currencies": list(row.currencies),
            "source": row.source,
            "url": row.url,
        }
        for row in _execute(session, query.order_by(table.c.published_at))
        if _matches(row.currencies, wanted)
    ]


def _user(user_id: Any) -> uuid.UUID:
    try:
        return user_id if isinstance(user_id, uuid.UUID) else uuid.UUID(str(user_id))
    except ValueError:
        raise BadValue(f"not a user id: {user_id!r}") from None


def fetch_order_history(
    session: Any,
    user_id: Any,
    coin_type: str | None = None,
    status: str | None = None,
    start_date: Any = None,
    end_date: Any = None,
    *,
    as_of: Any = None,
) -> list[dict[str, Any]]:
    """One user's orders (never another's), paper and live, newest first; the range defaults to
    30 days. ``price`` is the average fill price once filled (else the quoted rate)."""
    table = Order.__table__
    try:
        user = _user(user_id)
        low, high, cutoff = _range(start_date, end_date, as_of)
        coin = _symbol(coin_type) if coin_type is not None else None
    except BadValue:
        return []
    low = low or high - ORDER_HISTORY_DEFAULT
    query = sa.select(table).where(
        table.c.user_id == user, table.c.created_at >= low, table.c.created_at <= high
    )
    if coin is not None:
        query = query.where(table.c.coin_type == coin)
    if status:
        query = query.where(sa.func.lower(table.c.status) == str(status).lower())
    query = _known_by(query, table, cutoff)
    return [
        {
            "id": str(row.id),
            "client_order_id": row.client_order_id,
            "coin_type": row.coin_type,
            "quote": row.quote,
            "side": row.side,
            "order_type": row.order_type,
            "mode": row.mode,
            "account": row.account,
            "status": row.status,
            "quantity": row.quantity,
            "price": row.price,
            "filled_quantity": row.filled_quantity,
            "average_fill_price": row.average_fill_price,
            "fee": row.fee,
            "status_reason": row.status_reason,
            "created_at": _iso(row.created_at),
            "filled_at": _iso(row.filled_at),
        }
        for row in _execute(session, query.order_by(table.c.created_at.desc()))
    ]


def fetch_user_positions(
    session: Any, user_id: Any, coin_type: str | None = None, *, as_of: Any = None
) -> list[dict[str, Any]]:
    """One user's current holdings (paper and live, each account; closed positions left out):
    ``coin_type``, ``quantity``, ``average_price``, ``total_cost`` (FIFO cost, fees included)."""
    table = Position.__table__
    try:
        user = _user(user_id)
        cutoff = _when(as_of)
        coin = _symbol(coin_type) if coin_type is not None else None
    except BadValue:
        return []
    query = _known_by(
        sa.select(table).where(table.c.user_id == user, table.c.quantity > 0), table, cutoff
    )
    if coin is not None:
        query = query.where(table.c.coin_type == coin)
    return [
        {
            "coin_type": row.coin_type,
            "quote": row.quote,
            "mode": row.mode,
            "account": row.account,
            "quantity": row.quantity,
            "average_price": row.average_price,
            "total_cost": row.total_cost,
            "realized_pnl": row.realized_pnl,
            "updated_at": _iso(row.updated_at),
        }
        for row in _execute(
            session, query.order_by(table.c.coin_type, table.c.mode, table.c.account)
        )
    ]


def _coverage(session: Any, table: sa.Table, time_column: str, where: list[Any]) -> dict[str, Any]:
    column = table.c[time_column]
    query = sa.select(sa.func.count(), sa.func.min(column), sa.func.max(column)).where(*where)
    rows, first, last = _execute(session, query).one()
    return {"rows": rows, "first": _iso(first), "last": _iso(last)}


def get_data_statistics(
    session: Any, coin_type: str | None = None, *, as_of: Any = None
) -> dict[str, Any]:
    """Row counts and date ranges for every ledger table; prices also per coin and market."""
    try:
        cutoff = _when(as_of)
        coin = _symbol(coin_type) if coin_type is not None else None
    except BadValue:
        return {}
    ledgers = {
        "on_chain_metrics": (OnChainMetric.__table__, "timestamp", "asset"),
        "protocol_fundamentals": (ProtocolFundamental.__table__, "timestamp", None),
        "smart_money_flow": (SmartMoneyFlow.__table__, "collected_at", "token"),
        "news_sentiment": (NewsSentiment.__table__, "published_at", None),
        "social_sentiment": (SocialSentiment.__table__, "posted_at", None),
        "catalyst_events": (CatalystEvent.__table__, "published_at", None),
    }
    price_where = [PRICES.c.collected_at <= cutoff] if cutoff is not None else []
    if coin is not None:
        price_where.append(PRICES.c.coin_type == coin)
    per_market = (
        sa.select(
            PRICES.c.coin_type,
            PRICES.c.quote,
            sa.func.count(),
            sa.func.min(PRICES.c.timestamp),
            sa.func.max(PRICES.c.timestamp),
        )
        .where(*price_where)
        .group_by(PRICES.c.coin_type, PRICES.c.quote)
        .order_by(PRICES.c.coin_type, PRICES.c.quote)
    )
    markets = [
        {"coin_type": c, "quote": q, "rows": n, "first": _iso(a), "last": _iso(b)}
        for c, q, n, a, b in _execute(session, per_market)
    ]
    stats: dict[str, Any] = {
        "price_data_5min": {
            **_coverage(session, PRICES, "timestamp", price_where),
            "coins": sorted({market["coin_type"] for market in markets}),
            "markets": markets,
        }
    }
    for name, (table, time_column, symbol_column) in ledgers.items():
        where = [table.c.collected_at <= cutoff] if cutoff is not None else []
        if coin is not None and symbol_column is not None:
            where.append(table.c[symbol_column] == coin)
        stats[name] = _coverage(session, table, time_column, where)
    return stats
