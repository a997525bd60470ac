"""Profit and loss of an account: realised by FIFO lots, unrealised at the current bid, fees
counted, cash included in equity.

:func:`compute_pnl` is pure (trades in, figures out) so it can be checked by hand and timed;
:func:`account_pnl` reads an account's trades since its last reset and its cash.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.floor.brokers.base import AccountRef
from omc.floor.lots import Lots
from omc.floor.models import TradingAccount
from omc.ledgers.exchange.models import Trade

ZERO = Decimal(0)


@dataclass(frozen=True)
class TradeRow:
    """What P&L needs of a fill."""

    coin: str
    side: str
    quantity: Decimal
    price: Decimal
    fee: Decimal
    executed_at: dt.datetime


@dataclass
class CoinPnL:
    coin: str
    quantity: Decimal = ZERO
    cost: Decimal = ZERO
    realized: Decimal = ZERO
    fees: Decimal = ZERO
    bid: Decimal | None = None
    trades: int = 0
    unmatched: Decimal = ZERO

    @property
    def value(self) -> Decimal | None:
        return None if self.bid is None else self.quantity * self.bid

    @property
    def unrealized(self) -> Decimal | None:
        value = self.value
        return None if value is None else value - self.cost


@dataclass
class PnL:
    cash: Decimal
    initial_cash: Decimal
    since: dt.datetime | None
    coins: dict[str, CoinPnL] = field(default_factory=dict)

    @property
    def realized(self) -> Decimal:
        return sum((coin.realized for coin in self.coins.values()), ZERO)

    @property
    def fees(self) -> Decimal:
        return sum((coin.fees for coin in self.coins.values()), ZERO)

    @property
    def unpriced(self) -> list[str]:
        return sorted(c.coin for c in self.coins.values() if c.quantity > 0 and c.bid is None)

    @property
    def unrealized(self) -> Decimal:
        return sum((c.unrealized for c in self.coins.values() if c.unrealized is not None), ZERO)

    @property
    def holdings_value(self) -> Decimal:
        return sum((c.value for c in self.coins.values() if c.value is not None), ZERO)

    @property
    def equity(self) -> Decimal:
        """Cash plus every coin at its bid (coins with no price count as nothing)."""
        return self.cash + self.holdings_value

    @property
    def total(self) -> Decimal:
        """Equity against the cash the account started (or was last reset) with."""
        return self.equity - self.initial_cash

    def to_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat() if self.since else None,
            "cash": self.cash,
            "initial_cash": self.initial_cash,
            "holdings_value": self.holdings_value,
            "equity": self.equity,
            "realized": self.realized,
            "unrealized": self.unrealized,
            "fees": self.fees,
            "total": self.total,
            "unpriced": self.unpriced,
            "coins": [
                {
                    "coin": c.coin,
                    "quantity": c.quantity,
                    "cost": c.cost,
                    "bid": c.bid,
                    "value": c.value,
                    "realized": c.realized,
                    "unrealized": c.unrealized,
                    "fees": c.fees,
                    "trades": c.trades,
                }
                for c in sorted(self.coins.values(), key=lambda c: c.coin)
            ],
        }


def compute_pnl(
    trades: Iterable[TradeRow],
    *,
    cash: Decimal,
    initial_cash: Decimal,
    bids: Mapping[str, Decimal | None],
    since: dt.datetime | None = None,
) -> PnL:
    """FIFO over ``trades`` (oldest first). With ``since``, realised profit and fees count only
    for fills from then on; lots opened before still set the cost of what is sold after."""
    lots: dict[str, Lots] = {}
    result = PnL(cash=cash, initial_cash=initial_cash, since=since)
    for trade in trades:
        book = lots.get(trade.coin)
        if book is None:
            book = lots[trade.coin] = Lots()
            result.coins[trade.coin] = CoinPnL(trade.coin)
        profit = book.apply(trade.side, trade.quantity, trade.price, trade.fee)
        if since is None or trade.executed_at >= since:
            summary = result.coins[trade.coin]
            summary.realized += profit
            summary.fees += trade.fee
            summary.trades += 1
    for coin, book in lots.items():
        summary = result.coins[coin]
        summary.quantity, summary.cost, summary.unmatched = book.quantity, book.cost, book.unmatched
        summary.bid = bids.get(coin)
    return result


def load_trades(engine: Engine, ref: AccountRef, since_reset: dt.datetime | None) -> list[TradeRow]:
    table = Trade.__table__
    query = sa.select(
        table.c.coin_type,
        table.c.side,
        table.c.quantity,
        table.c.price,
        table.c.fee,
        table.c.executed_at,
    ).where(
        table.c.user_id == ref.user_id,
        table.c.mode == ref.mode,
        table.c.account == ref.name,
    )
    if since_reset is not None:
        query = query.where(table.c.executed_at >= since_reset)
    query = query.order_by(table.c.executed_at, table.c.collected_at)
    with engine.connect() as connection:
        return [TradeRow(*row) for row in connection.execute(query)]


def account_pnl(
    engine: Engine,
    ref: AccountRef,
    *,
    bids: Mapping[str, Decimal | None] | Any,
    since: dt.datetime | None = None,
) -> PnL:
    """The account's P&L since its last reset; ``bids`` maps coin to bid, or is a callable
    ``bids(coins) -> {coin: bid}`` asked only for the coins the account holds."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                TradingAccount.cash, TradingAccount.initial_cash, TradingAccount.reset_at
            ).where(
                TradingAccount.user_id == ref.user_id,
                TradingAccount.mode == ref.mode,
                TradingAccount.name == ref.name,
            )
        ).first()
    cash, initial, reset_at = row if row is not None else (ZERO, ZERO, None)
    trades = load_trades(engine, ref, reset_at)
    if callable(bids):
        bids = bids(sorted({trade.coin for trade in trades}))
    return compute_pnl(trades, cash=cash, initial_cash=initial, bids=bids, since=since)
