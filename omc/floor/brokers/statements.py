"""The order path's SQL, built once per process and executed with parameters.

Building a statement costs more than running it on SQLite; these are built on first use (never at
import) and reused, so placing an order spends its time in the database, not in SQLAlchemy.
"""

from __future__ import annotations

import functools
from types import SimpleNamespace

import sqlalchemy as sa

from omc.db import Money, UTCDateTime
from omc.floor.models import TradingAccount
from omc.ledgers.exchange.models import Order, Position, Trade


@functools.cache
def statements() -> SimpleNamespace:
    orders, trades = Order.__table__, Trade.__table__
    positions, accounts = Position.__table__, TradingAccount.__table__
    b = sa.bindparam
    # Update statements may not name a bind parameter after a column: hence the w_ prefix.
    account_is = (
        accounts.c.user_id == b("w_user_id"),
        accounts.c.mode == b("w_mode"),
        accounts.c.name == b("w_account"),
    )
    position_is = (
        positions.c.user_id == b("user_id"),
        positions.c.mode == b("mode"),
        positions.c.account == b("account"),
        positions.c.coin_type == b("coin"),
        positions.c.quote == b("quote"),
    )
    return SimpleNamespace(
        lock_account=sa.update(accounts)
        .where(*account_is)
        .values(updated_at=b("w_now", type_=UTCDateTime()))
        .returning(accounts.c.id, accounts.c.cash),
        set_cash=sa.update(accounts)
        .where(accounts.c.id == b("account_id"))
        .values(cash=b("w_cash", type_=Money()), updated_at=b("w_now", type_=UTCDateTime())),
        unsettled=sa.select(orders.c.id)
        .where(
            orders.c.user_id == b("user_id"),
            orders.c.mode == b("mode"),
            orders.c.account == b("account"),
            orders.c.status.in_(["unknown", "submitting"]),
        )
        .limit(1),
        position=sa.select(
            positions.c.id, positions.c.quantity, positions.c.lots, positions.c.realized_pnl
        ).where(*position_is),
        position_for_update=sa.select(
            positions.c.id, positions.c.quantity, positions.c.lots, positions.c.realized_pnl
        )
        .where(*position_is)
        .with_for_update(),
        update_position=sa.update(positions).where(positions.c.id == b("position_id")),
        insert_position=positions.insert(),
        insert_order=orders.insert(),
        update_order=sa.update(orders).where(orders.c.id == b("order_id")),
        insert_trade=trades.insert(),
        trade_keys=sa.select(trades.c.trade_key).where(trades.c.order_id == b("order_id")),
    )
