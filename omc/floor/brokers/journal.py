"""The order journal: order rows, their fills as ``trades``, and what fills do to ``positions``
and an account's cash. Both brokers write through here, so paper and live rows look alike.

Functions take a session and never commit; the broker decides the transaction (the live broker
commits the ``submitting`` row before its request leaves).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from omc.errors import NotFound
from omc.floor.brokers.base import (
    BLOCKING_STATUSES,
    AccountBlocked,
    AccountRef,
    Fill,
    OrderResult,
)
from omc.floor.brokers.owner import owner_is_dead
from omc.floor.lots import Lots
from omc.floor.models import TradingAccount
from omc.ledgers.exchange.models import Order, Position, Trade

ZERO = Decimal(0)


def new_client_order_id() -> str:
    return f"omc-{uuid.uuid4().hex}"


def find_account(session: Session, ref: AccountRef) -> TradingAccount | None:
    query = sa.select(TradingAccount).where(
        TradingAccount.user_id == ref.user_id,
        TradingAccount.mode == ref.mode,
        TradingAccount.name == ref.name,
    )
    return session.execute(query).scalars().first()


def lock_account(
    session: Session, ref: AccountRef, *, initial_cash: Decimal, now: dt.datetime
) -> TradingAccount:
    """The account row, created with ``initial_cash`` if new, with a write lock held until the
    transaction ends (an UPDATE first: a row lock on PostgreSQL, the write lock on SQLite), so
    two processes trading one account take turns instead of both spending the same cash."""
    table = TradingAccount.__table__
    touch = (
        sa.update(table)
        .where(table.c.user_id == ref.user_id, table.c.mode == ref.mode, table.c.name == ref.name)
        .values(updated_at=now)
    )
    if session.execute(touch).rowcount == 0:
        if session.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        values = {
            "id": uuid.uuid4(),
            "user_id": ref.user_id,
            "mode": ref.mode,
            "name": ref.name,
            "quote": "AUD",
            "cash": initial_cash,
            "initial_cash": initial_cash,
            "created_at": now,
            "reset_at": now,
            "updated_at": now,
        }
        # Another process may create it at the same moment: then theirs stands.
        session.execute(insert(table).values(**values).on_conflict_do_nothing())
        session.execute(touch)
    account = find_account(session, ref)
    assert account is not None
    session.refresh(account)
    return account


def mark_orphans_unknown(
    session: Session, ref: AccountRef, *, now: dt.datetime, stale_after: float
) -> int:
    """``submitting`` rows that will never get their answer become ``unknown``: their process
    is gone, or they are older than ``stale_after`` seconds. Returns how many."""
    stale = now - dt.timedelta(seconds=stale_after)
    query = sa.select(Order).where(
        Order.user_id == ref.user_id,
        Order.mode == ref.mode,
        Order.account == ref.name,
        Order.status == "submitting",
    )
    changed = 0
    for order in session.execute(query).scalars():
        if owner_is_dead(order.owner):
            reason = "the process sending it stopped before CoinSpot's answer was recorded"
        elif order.created_at < stale:
            reason = f"no answer was recorded within {stale_after:g} s"
        else:
            continue
        order.status = "unknown"
        order.status_reason = f"{reason}; it is never re-sent: `omc floor reconcile` settles it"
        order.updated_at = now
        changed += 1
    if changed:
        session.flush()
    return changed


def blocking_orders(
    session: Session, ref: AccountRef, *, now: dt.datetime, stale_after: float
) -> list[Order]:
    """Orders that stop this account trading: ``unknown`` ones (orphaned ``submitting`` rows
    are made ``unknown`` first)."""
    mark_orphans_unknown(session, ref, now=now, stale_after=stale_after)
    query = sa.select(Order).where(
        Order.user_id == ref.user_id,
        Order.mode == ref.mode,
        Order.account == ref.name,
        Order.status.in_(sorted(BLOCKING_STATUSES)),
    )
    return list(session.execute(query.order_by(Order.created_at)).scalars())


def refuse_if_blocked(
    session: Session, ref: AccountRef, *, now: dt.datetime, stale_after: float
) -> None:
    blocked = blocking_orders(session, ref, now=now, stale_after=stale_after)
    if blocked:
        first = blocked[0]
        raise AccountBlocked(
            f"{ref.mode} account {ref.name!r} has {len(blocked)} order(s) in an unknown state "
            f"(first: {first.client_order_id}, {first.side} {first.coin_type}); nothing trades "
            "until `omc floor reconcile` settles them"
        )


def find_order(session: Session, ref: AccountRef, key: uuid.UUID | str) -> Order:
    """An order of this user and mode by id or client order id."""
    query = sa.select(Order).where(Order.user_id == ref.user_id, Order.mode == ref.mode)
    if isinstance(key, uuid.UUID):
        query = query.where(Order.id == key)
    else:
        text = str(key).strip()
        try:
            as_id = uuid.UUID(text)
        except ValueError:
            query = query.where(Order.client_order_id == text)
        else:
            query = query.where(sa.or_(Order.id == as_id, Order.client_order_id == text))
    order = session.execute(query).scalars().first()
    if order is None:
        raise NotFound(f"no {ref.mode} order {key}")
    return order


def order_fills(session: Session, order_id: uuid.UUID) -> list[Fill]:
    query = sa.select(Trade).where(Trade.order_id == order_id).order_by(Trade.executed_at)
    return [
        Fill(
            trade_key=row.trade_key,
            coin=row.coin_type,
            side=row.side,  # type: ignore[arg-type]
            quantity=row.quantity,
            price=row.price,
            fee=row.fee,
            executed_at=row.executed_at,
            fee_ex_gst=row.fee_ex_gst,
            gst=row.gst,
            fee_source=row.fee_source,
        )
        for row in session.execute(query).scalars()
    ]


def to_result(order: Order, fills: Iterable[Fill] = ()) -> OrderResult:
    return OrderResult(
        order_id=order.id,
        client_order_id=order.client_order_id,
        mode=order.mode,
        account=order.account,
        coin=order.coin_type,
        side=order.side,
        status=order.status,
        amount_type=order.amount_type,
        quantity=order.quantity,
        aud_amount=order.aud_amount,
        filled_quantity=order.filled_quantity,
        average_price=order.average_fill_price,
        fee=order.fee,
        reason=order.status_reason,
        created_at=order.created_at,
        filled_at=order.filled_at,
        exchange_order_id=order.exchange_order_id,
        fills=tuple(fills),
    )


def apply_fill_to_position(
    session: Session, ref: AccountRef, fill: Fill, *, quote: str, now: dt.datetime
) -> Position:
    """Move the account's position in ``fill.coin`` by one fill (FIFO lots, fees in cost)."""
    query = sa.select(Position).where(
        Position.user_id == ref.user_id,
        Position.mode == ref.mode,
        Position.account == ref.name,
        Position.coin_type == fill.coin,
        Position.quote == quote,
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    position = session.execute(query).scalars().first()
    if position is None:
        position = Position(
            user_id=ref.user_id,
            mode=ref.mode,
            account=ref.name,
            coin_type=fill.coin,
            quote=quote,
            quantity=ZERO,
            average_price=ZERO,
            total_cost=ZERO,
            realized_pnl=ZERO,
            lots=[],
        )
        session.add(position)
    lots = Lots.from_json(position.lots, position.realized_pnl or ZERO)
    lots.apply(fill.side, fill.quantity, fill.price, fill.fee)
    quantity = lots.quantity
    cost = lots.cost
    position.lots = lots.to_json()
    position.quantity = quantity
    position.total_cost = cost
    position.average_price = cost / quantity if quantity > 0 else ZERO
    position.realized_pnl = lots.realized
    position.updated_at = now
    position.collected_at = now
    return position


def cash_change(fill: Fill) -> Decimal:
    """What a fill does to AUD cash: a buy pays value plus fee, a sell receives value less fee."""
    if fill.side == "buy":
        return -(fill.value + fill.fee)
    return fill.value - fill.fee


def record_fills(
    session: Session,
    order: Order,
    fills: list[Fill],
    *,
    account: TradingAccount | None,
    now: dt.datetime,
) -> None:
    """Write the fills as ``trades``, move the position and the cash, and mark the order
    filled with its totals. A fill already recorded (same ``trade_key``) is skipped."""
    ref = AccountRef(order.user_id, order.mode, order.account)  # type: ignore[arg-type]
    known = set(
        session.execute(sa.select(Trade.trade_key).where(Trade.order_id == order.id)).scalars()
    )
    for fill in fills:
        if fill.trade_key in known:
            continue
        session.add(
            Trade(
                order_id=order.id,
                user_id=order.user_id,
                trade_key=fill.trade_key,
                account=order.account,
                mode=order.mode,
                coin_type=fill.coin,
                quote=order.quote,
                side=fill.side,
                quantity=fill.quantity,
                price=fill.price,
                fee=fill.fee,
                fee_ex_gst=fill.fee_ex_gst,
                gst=fill.gst,
                fee_source=fill.fee_source,
                executed_at=fill.executed_at,
                collected_at=now,
            )
        )
        apply_fill_to_position(session, ref, fill, quote=order.quote, now=now)
        if account is not None:
            account.cash = account.cash + cash_change(fill)
            account.updated_at = now
    quantity = sum((fill.quantity for fill in fills), ZERO)
    value = sum((fill.value for fill in fills), ZERO)
    order.filled_quantity = quantity
    order.average_fill_price = value / quantity if quantity > 0 else None
    order.price = order.average_fill_price
    order.fee = sum((fill.fee for fill in fills), ZERO)
    order.status = "filled"
    order.filled_at = max(fill.executed_at for fill in fills) if fills else now
    order.updated_at = now
