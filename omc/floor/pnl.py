"""Profit and loss of an account: realised by FIFO lots, unrealised at the current bid, fees
counted, cash included in equity.

:func:`compute_pnl` is pure (trades in, figures out) so it can be checked by hand and timed;
:func:`account_pnl` reads an account's trades since its last reset and its cash.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.floor.brokers.base import AccountRef
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
    rows = (
        (t.coin, t.side, t.quantity, t.price, t.fee, since is None or t.executed_at >= since)
        for t in trades
    )
    return fold_pnl(rows, cash=cash, initial_cash=initial_cash, bids=bids, since=since)


def fold_pnl(
    rows: Iterable[tuple[str, str, Decimal, Decimal, Decimal, bool]],
    *,
    cash: Decimal,
    initial_cash: Decimal,
    bids: Mapping[str, Decimal | None],
    since: dt.datetime | None = None,
) -> PnL:
    """The FIFO fold itself over ``(coin, side, quantity, price, fee, counted)`` tuples, kept to
    plain locals: the same arithmetic as :class:`omc.floor.lots.Lots`, fast enough for 100,000
    fills. ``counted`` says whether the fill's realised profit and fee fall in the period."""
    books: dict[str, list[Any]] = {}  # coin -> [open lots, realised, fees, fills, unmatched]
    for coin, side, quantity, price, fee, counted in rows:
        book = books.get(coin)
        if book is None:
            book = books[coin] = [deque(), ZERO, ZERO, 0, ZERO]
        lots = book[0]
        if side == "buy":
            if quantity > 0:
                lots.append([quantity, quantity * price + fee])  # [coins, their whole cost]
            profit = ZERO
        else:
            remaining = quantity
            basis = ZERO
            while remaining > 0 and lots:
                lot = lots[0]
                if lot[0] <= remaining:
                    basis += lot[1]
                    remaining -= lot[0]
                    lots.popleft()
                else:
                    part = lot[1] * remaining / lot[0]
                    basis += part
                    lot[1] -= part
                    lot[0] -= remaining
                    remaining = ZERO
            if remaining > 0:
                book[4] += remaining
            profit = quantity * price - fee - basis
        if counted:
            book[1] += profit
            book[2] += fee
            book[3] += 1
    result = PnL(cash=cash, initial_cash=initial_cash, since=since)
    for coin, (lots, realized, fees, count, unmatched) in books.items():
        result.coins[coin] = CoinPnL(
            coin,
            quantity=sum((lot[0] for lot in lots), ZERO),
            cost=sum((lot[1] for lot in lots), ZERO),
            realized=realized,
            fees=fees,
            bid=bids.get(coin),
            trades=count,
            unmatched=unmatched,
        )
    return result


def _load_rows(
    engine: Engine, ref: AccountRef, since_reset: dt.datetime | None, since: dt.datetime | None
) -> list[tuple[str, str, Decimal, Decimal, Decimal, bool]]:
    """The account's fills as plain tuples, oldest first. Numbers are read without per-value
    type processing (text on SQLite, the driver's Decimal on PostgreSQL) and the period test
    is done by the database, so 100,000 rows load quickly."""
    table = Trade.__table__
    sqlite = engine.dialect.name == "sqlite"

    def number(column: sa.Column) -> Any:
        return sa.cast(column, sa.Text) if sqlite else sa.type_coerce(column, sa.Numeric(28, 10))

    counted: Any = sa.true() if since is None else (table.c.executed_at >= since)
    query = sa.select(
        table.c.coin_type,
        table.c.side,
        number(table.c.quantity),
        number(table.c.price),
        number(table.c.fee),
        sa.type_coerce(counted, sa.Boolean),
    ).where(
        table.c.user_id == ref.user_id,
        table.c.mode == ref.mode,
        table.c.account == ref.name,
    )
    if since_reset is not None:
        query = query.where(table.c.executed_at >= since_reset)
    query = query.order_by(table.c.executed_at, table.c.collected_at)
    with engine.connect() as connection:
        result = connection.execute(query).all()
    if sqlite:
        return [(c, s, Decimal(q), Decimal(p), Decimal(f), bool(k)) for c, s, q, p, f, k in result]
    return [tuple(row) for row in result]  # type: ignore[misc]


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
    rows = _load_rows(engine, ref, reset_at, since)
    if callable(bids):
        bids = bids(sorted({row[0] for row in rows}))
    return fold_pnl(rows, cash=cash, initial_cash=initial, bids=bids, since=since)
