"""The Catalyst ledger's table: market-moving events (SEC filings, exchange listings, …).

``published_at`` is when the event happened or was announced; ``collected_at`` is when omc
detected it (the tools return it as ``detected_at``, the seed's name).
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import StringList, UTCDateTime, utcnow

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class CatalystEvent(SQLModel, table=True):
    """One event; (source, external_id) is its natural key (an accession number, an article id)."""

    __tablename__ = "catalyst_events"
    __table_args__ = (
        sa.UniqueConstraint("source", "external_id"),
        sa.Index("ix_catalyst_events_published_at", "published_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    source: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    external_id: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    event_type: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    impact_score: int = Field(default=0, nullable=False)
    currencies: list[str] = Field(
        default_factory=list, sa_column=sa.Column(StringList(), nullable=False)
    )
    published_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    collected_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class ListedCoin(SQLModel, table=True):
    """A coin an exchange lists, as omc first saw it: the memory of the listing detector.

    The CoinSpot listing source compares each coin list with these rows, so a restart does not
    announce every coin again; the first run only records the list (a baseline).
    """

    __tablename__ = "listed_coins"
    __table_args__ = (sa.UniqueConstraint("exchange", "coin"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    exchange: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    coin: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    first_seen_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
