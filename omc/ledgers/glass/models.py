"""The Glass ledger's tables: protocol fundamentals, on-chain metrics, smart-money flows.

Each row keeps ``timestamp`` (when the figure was true) and ``collected_at`` (when omc learned
it); the unique natural key makes a repeated collection an update, never a duplicate. Analytic
figures are floats (hash rates overflow any sensible NUMERIC); money stays in the Exchange ledger.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import StringList, UTCDateTime, utcnow

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when() -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=False)


def _number() -> sa.Column:
    return sa.Column(sa.Float(), nullable=True)


class ProtocolFundamental(SQLModel, table=True):
    """A DeFi protocol's TVL, fees and revenue at one time (DeFiLlama)."""

    __tablename__ = "protocol_fundamentals"
    __table_args__ = (sa.UniqueConstraint("protocol", "chain", "source", "timestamp"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    protocol: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    chain: str = Field(default="all", sa_column=sa.Column(sa.String(50), nullable=False))
    symbol: str | None = Field(default=None, max_length=20)
    category: str | None = Field(default=None, max_length=50)
    tvl_usd: float | None = Field(default=None, sa_column=_number())
    fees_24h_usd: float | None = Field(default=None, sa_column=_number())
    revenue_24h_usd: float | None = Field(default=None, sa_column=_number())
    market_cap_usd: float | None = Field(default=None, sa_column=_number())
    source: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    timestamp: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class OnChainMetric(SQLModel, table=True):
    """One named blockchain metric of an asset at one time (active addresses, hash rate, …)."""

    __tablename__ = "on_chain_metrics"
    __table_args__ = (sa.UniqueConstraint("asset", "metric_name", "source", "timestamp"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    asset: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    metric_name: str = Field(sa_column=sa.Column(sa.String(80), nullable=False))
    metric_value: float = Field(sa_column=sa.Column(sa.Float(), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    timestamp: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class SmartMoneyFlow(SQLModel, table=True):
    """Smart-money net flow of one token on one chain, as a snapshot (Nansen)."""

    __tablename__ = "smart_money_flow"
    __table_args__ = (sa.UniqueConstraint("token", "chain", "source", "timestamp"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    token: str = Field(sa_column=sa.Column(sa.String(20), nullable=False, index=True))
    chain: str = Field(default="all", sa_column=sa.Column(sa.String(50), nullable=False))
    token_address: str | None = Field(default=None, max_length=100)
    net_flow_usd: float = Field(sa_column=sa.Column(sa.Float(), nullable=False))
    buying_wallet_count: int = Field(default=0, nullable=False)
    selling_wallet_count: int = Field(default=0, nullable=False)
    buying_wallets: list[str] = Field(
        default_factory=list, sa_column=sa.Column(StringList(), nullable=False)
    )
    selling_wallets: list[str] = Field(
        default_factory=list, sa_column=sa.Column(StringList(), nullable=False)
    )
    source: str = Field(default="nansen", sa_column=sa.Column(sa.String(40), nullable=False))
    timestamp: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False, index=True)
    )
