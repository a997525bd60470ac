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
from typing import Any

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
from omc.floor.brokers.statements import statements
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


ORDERS = Order.__table__
TRADES = Trade.__table__
POSITIONS = Position.__table__
ACCOUNTS = TradingAccount.__table__
UNSETTLED = ("unknown", "submitting")


def _insert(connection: sa.Connection) -> Any:
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def lock_account_row(
    connection: sa.Connection, ref: AccountRef, *, initial_cash: Decimal, now: dt.datetime
) -> tuple[uuid.UUID, Decimal]:
    """:func:`lock_account` on a Core connection: the account's id and cash, write-locked."""
    sql = statements()
    key = {"w_user_id": ref.user_id, "w_mode": ref.mode, "w_account": ref.name, "w_now": now}
    row = connection.execute(sql.lock_account, key).first()
    if row is None:
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
        insert = _insert(connection)
        connection.execute(insert(ACCOUNTS).values(**values).on_conflict_do_nothing())
        row = connection.execute(sql.lock_account, key).first()
    assert row is not None
    return row[0], row[1]


def has_unsettled(connection: sa.Connection, ref: AccountRef) -> bool:
    """Cheap first look: any ``unknown`` or ``submitting`` order on the account at all?"""
    key = {"user_id": ref.user_id, "mode": ref.mode, "account": ref.name}
    return connection.execute(statements().unsettled, key).first() is not None


def refuse_if_blocked_on(
    connection: sa.Connection, ref: AccountRef, *, now: dt.datetime, stale_after: float
) -> None:
    """:func:`refuse_if_blocked` inside the connection's transaction; cheap when nothing is
    unsettled."""
    if not has_unsettled(connection, ref):
        return
    from sqlmodel import Session as SQLModelSession

    session = SQLModelSession(bind=connection)
    try:
        refuse_if_blocked(session, ref, now=now, stale_after=stale_after)
        session.flush()
    finally:
        session.close()


def position_row(
    connection: sa.Connection, ref: AccountRef, coin: str, quote: str, *, for_update: bool = False
) -> Any:
    """The position's (id, quantity, lots, realized_pnl), or None."""
    sql = statements()
    query = sql.position_for_update if for_update else sql.position
    key = {"user_id": ref.user_id, "mode": ref.mode, "account": ref.name, "coin": coin}
    return connection.execute(query, {**key, "quote": quote}).first()


def held_quantity(connection: sa.Connection, ref: AccountRef, coin: str, quote: str) -> Decimal:
    row = position_row(connection, ref, coin, quote)
    return row[1] if row is not None else ZERO


def result_from_values(values: Any, fills: Iterable[Fill] = ()) -> OrderResult:
    """An :class:`OrderResult` from an order's column values (a dict or a row mapping)."""
    return OrderResult(
        order_id=values["id"],
        client_order_id=values["client_order_id"],
        mode=values["mode"],
        account=values["account"],
        coin=values["coin_type"],
        side=values["side"],
        status=values["status"],
        amount_type=values["amount_type"],
        quantity=values["quantity"],
        aud_amount=values["aud_amount"],
        filled_quantity=values["filled_quantity"],
        average_price=values["average_fill_price"],
        fee=values["fee"],
        reason=values["status_reason"],
        created_at=values["created_at"],
        filled_at=values["filled_at"],
        exchange_order_id=values["exchange_order_id"],
        fills=tuple(fills),
    )


def apply_fill_to_position(
    connection: sa.Connection, ref: AccountRef, fill: Fill, *, quote: str, now: dt.datetime
) -> None:
    """Move the account's position in ``fill.coin`` by one fill (FIFO lots, fees in cost)."""
    postgres = connection.dialect.name == "postgresql"
    row = position_row(connection, ref, fill.coin, quote, for_update=postgres)
    lots = Lots.from_json(row[2] if row else None, (row[3] if row else None) or ZERO)
    lots.apply(fill.side, fill.quantity, fill.price, fill.fee)
    quantity, cost = lots.quantity, lots.cost
    values = {
        "lots": lots.to_json(),
        "quantity": quantity,
        "total_cost": cost,
        "average_price": cost / quantity if quantity > 0 else ZERO,
        "realized_pnl": lots.realized,
        "updated_at": now,
        "collected_at": now,
    }
    sql = statements()
    if row is not None:
        connection.execute(sql.update_position, {"position_id": row[0], **values})
        return
    connection.execute(
        sql.insert_position,
        {
            "id": uuid.uuid4(),
            "user_id": ref.user_id,
            "mode": ref.mode,
            "account": ref.name,
            "coin_type": fill.coin,
            "quote": quote,
            **values,
        },
    )


def cash_change(fill: Fill) -> Decimal:
    """What a fill does to AUD cash: a buy pays value plus fee, a sell receives value less fee."""
    if fill.side == "buy":
        return -(fill.value + fill.fee)
    return fill.value - fill.fee


def fill_totals(fills: list[Fill], now: dt.datetime) -> dict[str, Any]:
    """The order columns its fills settle: quantity, average price, fee, status, times."""
    quantity = sum((fill.quantity for fill in fills), ZERO)
    value = sum((fill.value for fill in fills), ZERO)
    average = value / quantity if quantity > 0 else None
    return {
        "filled_quantity": quantity,
        "average_fill_price": average,
        "price": average,
        "fee": sum((fill.fee for fill in fills), ZERO),
        "status": "filled",
        "filled_at": max(fill.executed_at for fill in fills) if fills else now,
        "updated_at": now,
    }


def write_fills(
    connection: sa.Connection,
    order: Any,
    fills: list[Fill],
    *,
    account: tuple[uuid.UUID, Decimal] | None,
    now: dt.datetime,
    update_order: bool = True,
) -> dict[str, Any]:
    """Write the fills as ``trades``, move the position and the account's cash, and (unless
    the caller inserts the order with them) mark the order filled with its totals. A fill
    already recorded (same ``trade_key``) is skipped. ``order`` needs id, user_id, mode,
    account and quote (a row or an Order)."""
    ref = AccountRef(order.user_id, order.mode, order.account)
    known: set[str] = set()
    if update_order:
        known = set(connection.execute(statements().trade_keys, {"order_id": order.id}).scalars())
    new = [fill for fill in fills if fill.trade_key not in known]
    if new:
        connection.execute(
            statements().insert_trade,
            [
                {
                    "id": uuid.uuid4(),
                    "order_id": order.id,
                    "user_id": order.user_id,
                    "trade_key": fill.trade_key,
                    "account": order.account,
                    "mode": order.mode,
                    "coin_type": fill.coin,
                    "quote": order.quote,
                    "side": fill.side,
                    "quantity": fill.quantity,
                    "price": fill.price,
                    "fee": fill.fee,
                    "fee_ex_gst": fill.fee_ex_gst,
                    "gst": fill.gst,
                    "fee_currency": "AUD",
                    "fee_source": fill.fee_source,
                    "executed_at": fill.executed_at,
                    "collected_at": now,
                }
                for fill in new
            ],
        )
    for fill in new:
        apply_fill_to_position(connection, ref, fill, quote=order.quote, now=now)
    if account is not None and new:
        cash = account[1] + sum((cash_change(fill) for fill in new), ZERO)
        connection.execute(
            statements().set_cash, {"account_id": account[0], "w_cash": cash, "w_now": now}
        )
    totals = fill_totals(fills, now)
    if update_order:
        connection.execute(statements().update_order, {"order_id": order.id, **totals})
    return totals


def record_fills(
    session: Session,
    order: Order,
    fills: list[Fill],
    *,
    account: TradingAccount | None,
    now: dt.datetime,
) -> None:
    """:func:`write_fills` for an ORM order in a session (the reconciliation path)."""
    session.flush()
    connection = session.connection()
    locked = None
    if account is not None:
        ref = AccountRef(order.user_id, order.mode, order.account)  # type: ignore[arg-type]
        locked = lock_account_row(connection, ref, initial_cash=ZERO, now=now)
    write_fills(connection, order, fills, account=locked, now=now)
    session.expire_all()
