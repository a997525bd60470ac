"""Trading accounts: a paper account's cash (created on first use with ``floor.paper_initial_cash``)
and starting one afresh with a stated balance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import session_scope, utcnow
from omc.errors import UsageProblem
from omc.floor.brokers import journal
from omc.floor.brokers.base import AccountRef
from omc.floor.models import TradingAccount
from omc.ledgers.exchange.models import Order, Position


def reset_paper_account(
    engine: Engine, ref: AccountRef, cash: Decimal, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Start the paper account afresh: ``cash`` in AUD, no coins. Its past orders and trades
    stay in the history; P&L counts from the reset."""
    if ref.mode != "paper":
        raise UsageProblem("only paper accounts can be reset")
    if not cash.is_finite() or cash <= 0:
        raise UsageProblem(f"the starting balance must be more than 0, not {cash}")
    now = now or utcnow()
    with session_scope(engine) as session:
        open_orders = session.execute(
            sa.select(sa.func.count()).where(
                Order.user_id == ref.user_id,
                Order.mode == "paper",
                Order.account == ref.name,
                Order.status.in_(["submitting", "unknown", "open"]),
            )
        ).scalar_one()
        if open_orders:
            raise UsageProblem(
                f"paper account {ref.name!r} has {open_orders} unsettled order(s); "
                "run `omc floor reconcile` first"
            )
        account = journal.lock_account(session, ref, initial_cash=cash, now=now)
        session.execute(
            sa.delete(Position).where(
                Position.user_id == ref.user_id,
                Position.mode == "paper",
                Position.account == ref.name,
            )
        )
        account.cash = cash
        account.initial_cash = cash
        account.reset_at = now
        account.updated_at = now
        return {"account": ref.name, "mode": "paper", "cash": cash, "reset_at": now}


def list_accounts(engine: Engine, user_id: Any, mode: str | None = None) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        query = sa.select(TradingAccount).where(TradingAccount.user_id == user_id)
        if mode is not None:
            query = query.where(TradingAccount.mode == mode)
        return [
            {
                "mode": row.mode,
                "account": row.name,
                "cash": row.cash,
                "initial_cash": row.initial_cash,
                "reset_at": row.reset_at,
            }
            for row in session.execute(
                query.order_by(TradingAccount.mode, TradingAccount.name)
            ).scalars()
        ]
