"""Settling what the live broker could not: ``unknown`` orders, estimated fees, and balances.

An unknown order is looked for in CoinSpot's order history over its time window. One match:
``filled`` with CoinSpot's own fill and fee. No match once the window has closed: ``rejected``,
not placed. Several possible matches: it stays ``unknown`` and says so (a person decides).
Balances: each coin CoinSpot reports is compared with what omc's fills add up to, and any
difference is recorded in ``balance_differences``, never silently absorbed.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from omc.db import session_scope
from omc.floor.brokers import journal
from omc.floor.brokers.base import AccountRef
from omc.floor.brokers.coinspot_client import CoinSpotClient
from omc.floor.brokers.coinspot_history import (
    CLOCK_SKEW,
    HISTORY_LIMIT,
    HISTORY_PATH,
    HistoryItem,
    history_params,
    matching_items,
    parse_history,
)
from omc.floor.brokers.config import BrokerConfig
from omc.floor.lots import Lots
from omc.floor.models import BalanceDifference, TradingAccount
from omc.ledgers.exchange.models import Order, Position, Trade

Clock = Callable[[], dt.datetime]
ZERO = Decimal(0)
STEP = Decimal("0.00000001")


def window_end(order: Order, config: BrokerConfig, timeout_seconds: float) -> dt.datetime:
    sent = order.sent_at or order.created_at
    return sent + dt.timedelta(seconds=config.unknown_after_seconds + timeout_seconds)


def fetch_history(
    client: CoinSpotClient, coin: str, start: dt.datetime, end: dt.datetime
) -> list[HistoryItem]:
    return fetch_history_page(client, coin, start, end)[0]


def fetch_history_page(
    client: CoinSpotClient, coin: str, start: dt.datetime, end: dt.datetime
) -> tuple[list[HistoryItem], bool]:
    """The history items since ``start``, and whether the page was full (so possibly cut)."""
    body = client.read(HISTORY_PATH, history_params(coin, start, end))
    full = any(len(body.get(key) or []) >= HISTORY_LIMIT for key in ("buyorders", "sellorders"))
    return parse_history(body, not_before=start - CLOCK_SKEW), full


def claimed_among(connection: Any, keys: list[str]) -> set[str]:
    """Which of these trade keys some order already recorded."""
    if not keys:
        return set()
    return set(connection.execute(_claimed_query(), {"keys": keys}).scalars())


@functools.cache
def _claimed_query() -> sa.Select:
    table = Trade.__table__
    return sa.select(table.c.trade_key).where(
        table.c.trade_key.in_(sa.bindparam("keys", expanding=True))
    )


def claimed_keys(session: Session, items: list[HistoryItem]) -> set[str]:
    return claimed_among(session.connection(), [item.trade_key for item in items])


def settle_order(
    engine: Engine,
    client: CoinSpotClient,
    order_id: Any,
    *,
    config: BrokerConfig,
    now: dt.datetime,
) -> dict[str, Any]:
    """Settle one ``unknown`` (or orphaned ``submitting``) order from CoinSpot's history."""
    with session_scope(engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        if order.status not in ("unknown", "submitting"):
            return _outcome(order, "already settled")
        end = window_end(order, config, client.timeout_seconds)
        coin, start = order.coin_type, order.created_at
    items, full = fetch_history_page(client, coin, start, max(end, now))
    with session_scope(engine) as session:
        order = session.get(Order, order_id)
        assert order is not None
        if order.status not in ("unknown", "submitting"):
            return _outcome(order, "already settled")
        candidates = matching_items(
            order, items, window_end=end, claimed=claimed_keys(session, items)
        )
        if len(candidates) == 1:
            fill = candidates[0].to_fill(config.fee_rate)
            ref = AccountRef(order.user_id, order.mode, order.account)  # type: ignore[arg-type]
            account = journal.lock_account(session, ref, initial_cash=ZERO, now=now)
            journal.record_fills(session, order, [fill], account=account, now=now)
            order.exchange_order_id = candidates[0].id
            order.status_reason = "reconciled: found in CoinSpot's order history"
            return _outcome(order, order.status_reason)
        if candidates:
            order.status = "unknown"
            order.status_reason = (
                f"{len(candidates)} fills in CoinSpot's history could be this order; "
                "settle it by hand after checking the website"
            )
            order.updated_at = now
            return _outcome(order, order.status_reason)
        if full:
            order.status = "unknown"
            order.status_reason = (
                f"CoinSpot's history returned a full page ({HISTORY_LIMIT} orders) without it; "
                "it cannot be ruled out: check the website and settle it by hand"
            )
            order.updated_at = now
            return _outcome(order, order.status_reason)
        if now > end:
            order.status = "rejected"
            order.status_reason = (
                "not placed: reconciled, no matching order in CoinSpot's history up to "
                f"{end:%Y-%m-%d %H:%M:%S} UTC"
            )
            order.updated_at = now
            return _outcome(order, order.status_reason)
        order.status = "unknown"
        order.updated_at = now
        return _outcome(
            order, f"not in CoinSpot's history yet; looking again until {end:%H:%M:%S} UTC"
        )


def _outcome(order: Order, note: str) -> dict[str, Any]:
    return {
        "order_id": str(order.id),
        "client_order_id": order.client_order_id,
        "coin": order.coin_type,
        "side": order.side,
        "status": order.status,
        "note": note,
    }


def reconcile_orders(
    engine: Engine,
    client: CoinSpotClient,
    ref: AccountRef,
    *,
    config: BrokerConfig,
    clock: Clock,
) -> list[dict[str, Any]]:
    """Settle every unknown order of the account, then replace estimated fees with CoinSpot's."""
    now = clock()
    with session_scope(engine) as session:
        blocked = journal.blocking_orders(
            session, ref, now=now, stale_after=config.unknown_after_seconds
        )
        ids = [order.id for order in blocked]
    outcomes = [settle_order(engine, client, order_id, config=config, now=now) for order_id in ids]
    outcomes.extend(settle_estimated_fees(engine, client, ref, config=config, now=now))
    return outcomes


def settle_estimated_fees(
    engine: Engine,
    client: CoinSpotClient,
    ref: AccountRef,
    *,
    config: BrokerConfig,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Fills recorded from an order's answer carry an estimated fee until CoinSpot's history
    shows the real one; then the trade, the order and the position are corrected."""
    with session_scope(engine) as session:
        query = (
            sa.select(Trade.id, Trade.order_id, Trade.coin_type, Trade.executed_at)
            .where(
                Trade.user_id == ref.user_id,
                Trade.mode == "live",
                Trade.account == ref.name,
                Trade.fee_source == "estimate",
            )
            .order_by(Trade.executed_at)
        )
        pending = session.execute(query).all()
    outcomes = []
    by_coin: dict[str, list[Any]] = {}
    for row in pending:
        by_coin.setdefault(row.coin_type, []).append(row)
    for coin, rows in by_coin.items():
        items = fetch_history(client, coin, rows[0].executed_at - dt.timedelta(minutes=5), now)
        with session_scope(engine) as session:
            claimed = claimed_keys(session, items)
            for row in rows:
                order = session.get(Order, row.order_id)
                trade = session.get(Trade, row.id)
                assert order is not None
                assert trade is not None
                end = window_end(order, config, client.timeout_seconds)
                found = matching_items(order, items, window_end=end, claimed=claimed)
                if len(found) != 1:
                    continue
                fill = found[0].to_fill(config.fee_rate)
                account = journal.lock_account(session, ref, initial_cash=ZERO, now=now)
                account.cash = account.cash - journal.cash_change(_as_fill(trade))
                account.cash = account.cash + journal.cash_change(fill)
                trade.trade_key = fill.trade_key
                trade.quantity, trade.price, trade.fee = fill.quantity, fill.price, fill.fee
                trade.fee_ex_gst, trade.gst, trade.fee_source = (
                    fill.fee_ex_gst,
                    fill.gst,
                    fill.fee_source,
                )
                trade.executed_at = fill.executed_at
                order.fee = fill.fee
                order.filled_quantity = fill.quantity
                order.average_fill_price = order.price = fill.price
                order.exchange_order_id = found[0].id
                claimed.add(fill.trade_key)
                session.flush()
                rebuild_position(session, ref, coin, order.quote, now=now)
                outcomes.append(_outcome(order, "fee settled from CoinSpot's order history"))
    return outcomes


def _as_fill(trade: Trade) -> Any:
    from omc.floor.brokers.base import Fill

    return Fill(
        trade_key=trade.trade_key,
        coin=trade.coin_type,
        side=trade.side,  # type: ignore[arg-type]
        quantity=trade.quantity,
        price=trade.price,
        fee=trade.fee,
        executed_at=trade.executed_at,
    )


def rebuild_position(
    session: Session, ref: AccountRef, coin: str, quote: str, *, now: dt.datetime
) -> None:
    """Recompute a position's FIFO lots from its trades since the account's last reset."""
    account = journal.find_account(session, ref)
    since = account.reset_at if account is not None else None
    query = sa.select(Trade).where(
        Trade.user_id == ref.user_id,
        Trade.mode == ref.mode,
        Trade.account == ref.name,
        Trade.coin_type == coin,
        Trade.quote == quote,
    )
    if since is not None:
        query = query.where(Trade.executed_at >= since)
    lots = Lots()
    for trade in session.execute(query.order_by(Trade.executed_at, Trade.collected_at)).scalars():
        lots.apply(trade.side, trade.quantity, trade.price, trade.fee)
    position = (
        session.execute(
            sa.select(Position).where(
                Position.user_id == ref.user_id,
                Position.mode == ref.mode,
                Position.account == ref.name,
                Position.coin_type == coin,
                Position.quote == quote,
            )
        )
        .scalars()
        .first()
    )
    if position is None:
        return
    quantity, cost = lots.quantity, lots.cost
    position.lots = lots.to_json()
    position.quantity, position.total_cost = quantity, cost
    position.average_price = cost / quantity if quantity > 0 else ZERO
    position.realized_pnl = lots.realized
    position.updated_at = now


def reconcile_balances(
    engine: Engine,
    ref: AccountRef,
    reported: dict[str, Decimal],
    *,
    now: dt.datetime,
) -> list[dict[str, Any]]:
    """Compare CoinSpot's balances with omc's records; record each new difference."""
    out = []
    with session_scope(engine) as session:
        account = (
            session.execute(
                sa.select(TradingAccount).where(
                    TradingAccount.user_id == ref.user_id,
                    TradingAccount.mode == "live",
                    TradingAccount.name == ref.name,
                )
            )
            .scalars()
            .first()
        )
        recorded: dict[str, Decimal] = {"AUD": account.cash if account is not None else ZERO}
        for position in session.execute(
            sa.select(Position).where(
                Position.user_id == ref.user_id,
                Position.mode == "live",
                Position.account == ref.name,
            )
        ).scalars():
            recorded[position.coin_type] = (
                recorded.get(position.coin_type, ZERO) + position.quantity
            )
        for coin in sorted(set(recorded) | set(reported)):
            mine = recorded.get(coin, ZERO)
            theirs = reported.get(coin, ZERO)
            difference = (theirs - mine).quantize(STEP)
            if difference == 0:
                continue
            last = (
                session.execute(
                    sa.select(BalanceDifference)
                    .where(
                        BalanceDifference.user_id == ref.user_id,
                        BalanceDifference.account == ref.name,
                        BalanceDifference.coin_type == coin,
                    )
                    .order_by(BalanceDifference.detected_at.desc())
                )
                .scalars()
                .first()
            )
            is_new = last is None or last.difference.quantize(STEP) != difference
            if is_new:
                session.add(
                    BalanceDifference(
                        user_id=ref.user_id,
                        account=ref.name,
                        coin_type=coin,
                        recorded=mine,
                        reported=theirs,
                        difference=difference,
                        detected_at=now,
                    )
                )
            out.append(
                {
                    "coin": coin,
                    "recorded": mine,
                    "reported": theirs,
                    "difference": difference,
                    "new": is_new,
                }
            )
    return out
