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


ORDER_STATUSES = ("submitting", "open", "filled", "rejected", "unknown", "cancelled")


class Order(SQLModel, table=True):
    """An order a user's algorithm (or the user) placed, paper or live, in one named account.

    The row is committed with status ``submitting`` and its ``client_order_id`` *before* the
    request leaves, so a crash between "sent" and "recorded" leaves ``unknown``, which is
    reconciled against the exchange's history and never re-sent. ``quantity`` is the coin amount
    asked for (for an order by AUD amount, ``aud_amount``, it is the quote's estimate until the
    fill); ``price`` is the average fill price once filled, else the quoted rate.
    """

    __tablename__ = "orders"
    __table_args__ = (
        sa.Index("ix_orders_user_id_created_at", "user_id", "created_at"),
        sa.Index("ix_orders_user_id_mode_account_status", "user_id", "mode", "account", "status"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    client_order_id: str = Field(sa_column=sa.Column(sa.String(64), nullable=False, unique=True))
    exchange_order_id: str | None = Field(default=None, max_length=64)
    account: str = Field(default="default", sa_column=sa.Column(sa.String(100), nullable=False))
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    side: str = Field(sa_column=sa.Column(sa.String(4), nullable=False))
    order_type: str = Field(default="market", sa_column=sa.Column(sa.String(10), nullable=False))
    mode: str = Field(default="paper", sa_column=sa.Column(sa.String(5), nullable=False))
    status: str = Field(default="submitting", sa_column=sa.Column(sa.String(20), nullable=False))
    status_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    amount_type: str = Field(default="coin", sa_column=sa.Column(sa.String(4), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    aud_amount: Decimal | None = Field(default=None, sa_column=_money())
    price: Decimal | None = Field(default=None, sa_column=_money())
    quoted_rate: Decimal | None = Field(default=None, sa_column=_money())
    max_slippage: Decimal | None = Field(default=None, sa_column=_money())
    filled_quantity: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    average_fill_price: Decimal | None = Field(default=None, sa_column=_money())
    fee: Decimal | None = Field(default=None, sa_column=_money())
    reference: str | None = Field(default=None, max_length=100)
    # The process that sent it (host:pid:start), so a `submitting` row left by a dead process
    # is known to be unknown at once.
    owner: str | None = Field(default=None, max_length=100)
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    sent_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    filled_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    updated_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class Trade(SQLModel, table=True):
    """One fill of an order; ``trade_key`` (e.g. ``coinspot:<id>``) makes recording idempotent.

    ``fee`` is the whole fee in AUD, GST included; live fills keep CoinSpot's split
    (``fee_ex_gst`` = ``audfeeExGst``, ``gst`` = ``audGst``). ``fee_source`` says where the fee
    came from: ``exchange`` (CoinSpot's history), ``estimate`` (the fee rate, until the history
    is read) or ``paper``.
    """

    __tablename__ = "trades"
    __table_args__ = (
        sa.Index(
            "ix_trades_user_id_mode_account_executed_at",
            "user_id",
            "mode",
            "account",
            "executed_at",
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    order_id: uuid.UUID = Field(foreign_key="orders.id", ondelete="CASCADE", nullable=False)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    trade_key: str = Field(sa_column=sa.Column(sa.String(100), nullable=False, unique=True))
    account: str = Field(default="default", sa_column=sa.Column(sa.String(100), nullable=False))
    mode: str = Field(default="paper", sa_column=sa.Column(sa.String(5), nullable=False))
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    side: str = Field(sa_column=sa.Column(sa.String(4), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    price: Decimal = Field(sa_column=_money(nullable=False))
    fee: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    fee_ex_gst: Decimal | None = Field(default=None, sa_column=_money())
    gst: Decimal | None = Field(default=None, sa_column=_money())
    fee_currency: str = Field(default="AUD", max_length=10)
    fee_source: str = Field(default="paper", sa_column=sa.Column(sa.String(10), nullable=False))
    executed_at: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class Position(SQLModel, table=True):
    """A user's current holding of one coin in one account and mode (paper or live).

    ``lots`` are the open FIFO lots ``[[quantity, unit cost], ...]`` (decimal strings, fees
    included in the cost); ``total_cost`` is their sum and ``average_price`` the cost per coin.
    """

    __tablename__ = "positions"
    __table_args__ = (sa.UniqueConstraint("user_id", "mode", "account", "coin_type", "quote"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    account: str = Field(default="default", sa_column=sa.Column(sa.String(100), nullable=False))
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    mode: str = Field(default="paper", sa_column=sa.Column(sa.String(5), nullable=False))
    quantity: Decimal = Field(sa_column=_money(nullable=False))
    average_price: Decimal = Field(sa_column=_money(nullable=False))
    total_cost: Decimal = Field(sa_column=_money(nullable=False))
    realized_pnl: Decimal = Field(default=Decimal(0), sa_column=_money(nullable=False))
    lots: list[list[str]] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
