"""The ``collector_runs`` table: one row per source per collection cycle.

``omc collect sources`` and ``omc collect status`` read it for the last run and last success.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
RUN_STATUSES = ("ok", "empty", "failed", "skipped", "cancelled")


class CollectorRun(SQLModel, table=True):
    """What one source did in one cycle: status ok / empty / failed / skipped / cancelled (a
    requested stop ended it before it stored anything), and row counts."""

    __tablename__ = "collector_runs"
    __table_args__ = (sa.Index("ix_collector_runs_source_started_at", "source", "started_at"),)

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    source: str = Field(sa_column=sa.Column(sa.String(60), nullable=False))
    ledger: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    started_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    finished_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    status: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    rows_inserted: int = Field(default=0, nullable=False)
    rows_updated: int = Field(default=0, nullable=False)
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
