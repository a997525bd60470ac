"""The floor's tables: ``coinspot_credentials`` (each user's CoinSpot API key and secret,
sealed together as one JSON ciphertext, only masked hints in clear), ``trading_accounts`` (paper
and live cash per named account), ``coinspot_nonces`` (the persisted nonce high-water mark) and
``balance_differences`` (live balances that disagree with omc's fills).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import Money, UTCDateTime, new_id, utcnow


class CoinspotCredential(SQLModel, table=True):
    """A user's CoinSpot API credentials (one active row per user)."""

    __tablename__ = "coinspot_credentials"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(
        foreign_key="users.id", ondelete="CASCADE", nullable=False, unique=True
    )
    encrypted_secret: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    encryption_key_id: str | None = Field(default=None, max_length=20)
    key_hint: str = Field(default="", max_length=20)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class TradingAccount(SQLModel, table=True):
    """One named account of a user in one mode: its cash (AUD) and when it was last reset.

    Paper accounts are the paper broker's whole state beside ``positions``; a live account's
    cash follows its fills and is reconciled with CoinSpot's balances.
    """

    __tablename__ = "trading_accounts"
    __table_args__ = (sa.UniqueConstraint("user_id", "mode", "name"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    mode: str = Field(sa_column=sa.Column(sa.String(5), nullable=False))
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    quote: str = Field(default="AUD", sa_column=sa.Column(sa.String(10), nullable=False))
    cash: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    initial_cash: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    reset_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class CoinspotNonce(SQLModel, table=True):
    """The highest nonce sent with one CoinSpot API key (``key_fingerprint``: a SHA-256 prefix of
    the key, never the key). Raised atomically before each request, so nonces keep increasing
    across threads, processes, restarts and a clock set backwards."""

    __tablename__ = "coinspot_nonces"

    key_fingerprint: str = Field(sa_column=sa.Column(sa.String(64), primary_key=True))
    last_nonce: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class BalanceDifference(SQLModel, table=True):
    """A live balance CoinSpot reports that differs from what omc's fills add up to (a deposit,
    a withdrawal, a trade on the website): recorded and shown, never silently absorbed."""

    __tablename__ = "balance_differences"
    __table_args__ = (
        sa.Index("ix_balance_differences_user_id_detected_at", "user_id", "detected_at"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    account: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    coin_type: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    recorded: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    reported: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    difference: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    detected_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
