"""The ``deployments``, ``decisions`` and ``kill_switches`` tables.

A deployment is a promoted strategy or algorithm trading one market in paper or live mode with
an allocated capital; the CLI writes it and the floor daemon runs it. A decision is one tick
of one deployment: what it saw, the target, every risk check and the order it sent (if any).
The kill switch is rows: an active row for ``all`` or for one deployment stops its orders.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import Money, UTCDateTime, new_id, utcnow

DEPLOYMENT_MODES = ("paper", "live", "replay")
DEPLOYMENT_STATUSES = ("running", "paused", "halted", "stopped")
DECISION_OUTCOMES = ("ordered", "held", "blocked", "halted", "failed", "pending")


class Deployment(SQLModel, table=True):
    """A strategy version trading one market with its own capital, cash and coin units."""

    __tablename__ = "deployments"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "name"),
        sa.Index("ix_deployments_status", "status"),
    )

    id: uuid.UUID = Field(default_factory=new_id, sa_column=sa.Column(sa.Uuid(), primary_key=True))
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    target: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    target_version: int | None = Field(default=None, nullable=True)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    coin: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    mode: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    account: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    bar_seconds: int = Field(nullable=False)
    capital: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    cash: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    units: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    # The target of the last order sent (or found needless): a new order is considered only
    # when the strategy's target differs from it, as the backtest trades only on a change.
    applied_target: float | None = Field(default=None, nullable=True)
    limits: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    gate: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    status: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    status_reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    halted_until: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    peak_equity: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    day_start_equity: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    day_started: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date()))
    last_equity: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    last_tick_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    last_bar_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class Decision(SQLModel, table=True):
    """One tick of one deployment; at most one per bar, so a restart never decides twice."""

    __tablename__ = "decisions"
    __table_args__ = (sa.UniqueConstraint("deployment_id", "bar_time"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    deployment_id: uuid.UUID = Field(
        foreign_key="deployments.id", ondelete="CASCADE", nullable=False
    )
    bar_time: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    decided_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    inputs_hash: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    target: float | None = Field(default=None, nullable=True)
    price: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    units_before: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    cash_before: Decimal = Field(sa_column=sa.Column(Money(), nullable=False))
    equity: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    side: str | None = Field(default=None, sa_column=sa.Column(sa.String(4)))
    wanted_value: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    order_value: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    order_units: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    checks: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(sa.JSON()))
    outcome: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    reason: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    client_order_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    order_id: str | None = Field(default=None, sa_column=sa.Column(sa.String(64)))
    filled_units: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    filled_price: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))
    fee: Decimal | None = Field(default=None, sa_column=sa.Column(Money()))


class KillSwitch(SQLModel, table=True):
    """The one kill switch: an active row with ``deployment_id`` empty stops every deployment."""

    __tablename__ = "kill_switches"
    __table_args__ = (sa.Index("ix_kill_switches_active", "active"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    deployment_id: uuid.UUID | None = Field(
        default=None, foreign_key="deployments.id", ondelete="CASCADE", nullable=True
    )
    active: bool = Field(default=True, nullable=False)
    reason: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    set_by: str = Field(sa_column=sa.Column(sa.String(150), nullable=False))
    set_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    lifted_by: str | None = Field(default=None, sa_column=sa.Column(sa.String(150)))
    lifted_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(UTCDateTime()))
    orders_cancelled_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime())
    )
