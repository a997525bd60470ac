"""The Exchange ledger's tables: 5-minute price bars, and each user's orders, trades, positions.

``price_data_5min`` keeps the seed's columns (``timestamp``, ``coin_type``, ``bid``, ``ask``,
``last``) with bid = the highest buy offer and ask = the lowest sell offer, plus the bar's
``open``/``high``/``low`` of ``last``, the ``quote`` currency, ``source`` and ``collected_at``.
Its natural key (coin, timestamp, quote) is the primary key, so re-collecting or re-importing never
duplicates. There is no surrogate id: one index serves the upserts, the bulk import's overlap
probe and every read (a coin over a span of time, optionally one quote), and on SQLite the table
is ``WITHOUT ROWID``, clustered on that key, so a span of one coin is read from adjacent pages,
and keeps ``timestamp`` as the ISO 8601 text the data tools return (:class:`omc.db.ISOUTCDateTime`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import ISOUTCDateTime, Money, UTCDateTime, new_id, utcnow


def _when(nullable: bool = False, **kwargs: object) -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=nullable, **kwargs)  # type: ignore[arg-type]


def _money(nullable: bool = True) -> sa.Column:
    return sa.Column(Money(), nullable=nullable)


class PriceBar(SQLModel, table=True):
    """One 5-minute bar (or a coarser imported bar at its own timestamp) of one market."""

    __tablename__ = "price_data_5min"
    # (coin, timestamp, quote): a span of one coin is one range of the key whether or not the
    # quote is given, in the (timestamp, quote) order fetch_price_data returns.
    __table_args__ = (
        sa.PrimaryKeyConstraint("coin_type", "timestamp", "quote"),
        {"sqlite_with_rowid": False},
    )

    # ISO 8601 text on SQLite: what fetch_price_data returns, read with no conversion.
    timestamp: dt.datetime = Field(
        sa_column=sa.Column(ISOUTCDateTime(), nullable=False, primary_key=True)
    )
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), primary_key=True))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), primary_key=True))
    bid: Decimal | None = Field(default=None, sa_column=_money())
    ask: Decimal | None = Field(default=None, sa_column=_money())
    last: Decimal = Field(sa_column=_money(nullable=False))
    open: Decimal | None = Field(default=None, sa_column=_money())
    high: Decimal | None = Field(default=None, sa_column=_money())
    low: Decimal | None = Field(default=None, sa_column=_money())
    volume: Decimal | None = Field(default=None, sa_column=_money())
    source: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class Order(SQLModel, table=True):
    """An order a user's algorithm (or the user) placed, paper or live.

    ``client_order_id`` is written before the request is sent, so a crash between "sent" and
    "recorded" is reconciled rather than doubled.
    """

    __tablename__ = "orders"
    __table_args__ = (sa.Index("ix_orders_user_id_created_at", "user_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    client_order_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    exchange_order_id: str | None = Field(default=None, max_length=64)
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    side: str = Field(sa_column=sa.Column(sa.String(4), nullable=False))
    order_type: str = Field(default="market", sa_column=sa.Column(sa.String(10), nullable=False))
    mode: str = Field(default="paper", sa_column=sa.Column(sa.String(5), nullable=False))
    status: str = Field(default="pending", sa_column=sa.Column(sa.String(20), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    price: Decimal | None = Field(default=None, sa_column=_money())
    filled_quantity: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    average_fill_price: Decimal | None = Field(default=None, sa_column=_money())
    fee: Decimal | None = Field(default=None, sa_column=_money())
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    filled_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class Trade(SQLModel, table=True):
    """One fill of an order; ``trade_key`` (e.g. ``coinspot:<id>``) makes recording idempotent."""

    __tablename__ = "trades"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", ondelete="CASCADE", nullable=False)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    trade_key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    side: str = Field(sa_column=sa.Column(sa.String(4), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    price: Decimal = Field(sa_column=_money(nullable=False))
    fee: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    fee_currency: str = Field(default="AUD", max_length=10)
    executed_at: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class Position(SQLModel, table=True):
    """A user's current holding of one coin in one mode (paper or live)."""

    __tablename__ = "positions"
    __table_args__ = (sa.UniqueConstraint("user_id", "coin_type", "quote", "mode"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    mode: str = Field(default="paper", sa_column=sa.Column(sa.String(5), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    average_price: Decimal = Field(sa_column=_money(nullable=False))
    total_cost: Decimal = Field(sa_column=_money(nullable=False))
    realized_pnl: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
