"""Stored walk-forward records: the out-of-sample evidence a built-in strategy brings to the
live gate (an algorithm brings its own evaluation).

``omc backtest walk-forward … --save`` stores one row per run: the market and bar size, the
parameters the last fold chose (what the walk-forward would trade now), the stitched
out-of-sample metrics and a deflated Sharpe ratio. The deflation is honest about searching:
its trials are every candidate of *every* walk-forward stored for the same strategy, market and
bar size, this one included, so re-running a search until it looks lucky raises the bar rather
than clearing it.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, new_id, utcnow


class WalkForwardRecord(SQLModel, table=True):
    """One stored walk-forward of a strategy on one market."""

    __tablename__ = "walk_forward_records"
    __table_args__ = (
        sa.Index("ix_walk_forward_records_market", "user_id", "strategy", "coin", "quote"),
    )

    id: uuid.UUID = Field(default_factory=new_id, sa_column=sa.Column(sa.Uuid(), primary_key=True))
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    strategy: str = Field(sa_column=sa.Column(sa.String(200), nullable=False))
    coin: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    quote: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    bar_seconds: int = Field(nullable=False)
    params: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    search: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    first_bar: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    last_bar: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    folds: int = Field(nullable=False)
    candidates: int = Field(nullable=False)
    trials: int = Field(nullable=False)
    candidate_sharpes: list[float | None] = Field(
        default_factory=list, sa_column=sa.Column(sa.JSON())
    )
    sharpe: float | None = Field(default=None, nullable=True)
    deflated_sharpe: float | None = Field(default=None, nullable=True)
    oos_trades: int = Field(nullable=False)
    oos_return: float = Field(nullable=False)
    metrics: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


TABLE = WalkForwardRecord.__table__


def _earlier_sharpes(
    session: Session, user_id: uuid.UUID, strategy: str, coin: str, quote: str, bar_seconds: int
) -> list[float | None]:
    rows = session.execute(
        sa.select(TABLE.c.candidate_sharpes).where(
            TABLE.c.user_id == user_id,
            TABLE.c.strategy == strategy,
            TABLE.c.coin == coin,
            TABLE.c.quote == quote,
            TABLE.c.bar_seconds == bar_seconds,
        )
    ).scalars()
    return [value for row in rows for value in (row or [])]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def store_walk_forward(
    session: Session,
    user_id: uuid.UUID,
    coin: str,
    quote: str,
    result: Any,  # omc.backtest.walk_forward.WalkForwardResult, with candidate_sharpes
    search: Mapping[str, Any],
) -> WalkForwardRecord:
    """Judge a walk-forward against every trial stored for its strategy and market, and keep it."""
    import numpy as np

    from omc.backtest.metrics import bar_returns
    from omc.lab.overfitting import deflated_sharpe_ratio

    if result.candidate_sharpes is None or result.chosen_params is None:
        raise ValueError("store_walk_forward needs a walk-forward run with score_candidates")
    metrics = result.out_of_sample
    bar_seconds = round(metrics.bar_seconds)
    ours = [_finite(value) for value in result.candidate_sharpes]
    trials = _earlier_sharpes(session, user_id, result.strategy, coin, quote, bar_seconds) + ours
    returns = bar_returns(np.asarray(result.out_of_sample_equity, dtype=float))
    deflated = deflated_sharpe_ratio(returns, trials)
    record = WalkForwardRecord(
        user_id=user_id,
        strategy=result.strategy,
        coin=coin,
        quote=quote,
        bar_seconds=bar_seconds,
        params=dict(result.chosen_params),
        search=dict(search),
        first_bar=dt.datetime.fromisoformat(metrics.start),
        last_bar=dt.datetime.fromisoformat(metrics.end),
        folds=len(result.folds),
        candidates=result.candidates,
        trials=deflated.trials,
        candidate_sharpes=ours,
        sharpe=_finite(deflated.sharpe),
        deflated_sharpe=_finite(deflated.deflated_sharpe),
        oos_trades=metrics.trade_count,
        oos_return=metrics.total_return,
        metrics=metrics.to_dict(),
    )
    session.add(record)
    session.flush()
    return record


def records_for(
    session: Session,
    user_id: uuid.UUID,
    strategy: str | None = None,
    coin: str | None = None,
    quote: str | None = None,
) -> list[WalkForwardRecord]:
    """Stored records, newest first, optionally of one strategy and market."""
    query = sa.select(WalkForwardRecord).where(WalkForwardRecord.user_id == user_id)
    for column, value in (("strategy", strategy), ("coin", coin), ("quote", quote)):
        if value is not None:
            query = query.where(TABLE.c[column] == value)
    return list(session.execute(query.order_by(TABLE.c.created_at.desc())).scalars())


def record_for_deployment(
    session: Session,
    user_id: uuid.UUID,
    strategy: str,
    coin: str,
    quote: str,
    bar_seconds: int,
    params: Mapping[str, Any],
) -> tuple[WalkForwardRecord | None, list[WalkForwardRecord]]:
    """The newest record that vouches for exactly this deployment (strategy, market, bar size
    and the parameters its last fold chose), and every record of the strategy and market."""
    stored = records_for(session, user_id, strategy, coin, quote)
    for record in stored:
        if record.bar_seconds == bar_seconds and record.params == dict(params):
            return record, stored
    return None, stored


def record_view(record: WalkForwardRecord) -> dict[str, Any]:
    """A JSON-able summary of a record."""
    return {
        "id": str(record.id),
        "strategy": record.strategy,
        "market": f"{record.coin}/{record.quote}",
        "bar_seconds": record.bar_seconds,
        "params": record.params,
        "first_bar": record.first_bar.isoformat(),
        "last_bar": record.last_bar.isoformat(),
        "folds": record.folds,
        "candidates": record.candidates,
        "trials": record.trials,
        "sharpe_per_bar": record.sharpe,
        "deflated_sharpe": record.deflated_sharpe,
        "oos_trades": record.oos_trades,
        "oos_return": record.oos_return,
        "created_at": record.created_at.isoformat(),
    }
