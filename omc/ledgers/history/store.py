"""Write many bars to ``price_data_5min`` fast and idempotently.

Two paths, chosen per batch:

- **New rows** (no stored bar of this coin and quote in the batch's time range: the common
  first import): one plain bulk insert, PostgreSQL COPY straight into the table, SQLite
  ``executemany`` of ``INSERT``. Every row is new, so inserted = the batch size, no counting.
  If another writer stores an overlapping key meanwhile, the insert fails on the unique key,
  rolls back whole and the batch goes the merge way.
- **Merge** (rows exist): PostgreSQL COPY into a temporary table and one
  ``INSERT … SELECT … ON CONFLICT``; SQLite ``executemany`` of ``INSERT … ON CONFLICT``. A
  conflicting row is rewritten only when a price or volume differs, so re-importing a file
  changes nothing and reports 0 inserted; ``bid``/``ask`` of an existing row are kept.

Both run in one transaction on the raw driver cursor with values prepared once (see
:mod:`omc.ledgers.history.batch`); never one ORM object per row. Imported bars get
``collected_at`` = the bar's close (when the bar became knowable), so point-in-time backtests
can use history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import as_utc
from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.history import store_postgresql, store_sqlite
from omc.ledgers.history.batch import Batch
from omc.ledgers.history.store_sql import COLUMNS, RowsExist

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["COLUMNS", "Progress", "WriteCount", "prepare", "write_bars"]

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
TABLE = PriceBar.__table__


@dataclass
class WriteCount:
    inserted: int
    updated: int


def prepare(frame: pd.DataFrame, coin: str, quote: str, source: str, seconds: int) -> pd.DataFrame:
    """Frame in the table's column order (``close`` becomes ``last``)."""
    import pandas as pd

    return pd.DataFrame(
        {
            "timestamp": frame["timestamp"],
            "coin_type": coin.upper(),
            "quote": quote.upper(),
            "last": frame["close"],
            "open": frame["open"],
            "high": frame["high"],
            "low": frame["low"],
            "volume": frame["volume"],
            "source": source,
            "collected_at": frame["timestamp"] + pd.Timedelta(seconds=seconds),
        }
    )


def _count(connection: sa.Connection, batch: Batch) -> int:
    query = sa.select(sa.func.count()).where(
        TABLE.c.coin_type == batch.coin, TABLE.c.quote == batch.quote
    )
    return connection.execute(query).scalar_one()


def overlaps(engine: Engine, batch: Batch) -> bool:
    """Whether any bar of the batch's market is stored within its first..last timestamps (one
    probe of the ``(coin_type, timestamp, quote)`` primary key)."""
    low, high = (as_utc(value.item()) for value in (batch.stamps.min(), batch.stamps.max()))
    query = (
        sa.select(sa.literal(1))
        .where(
            TABLE.c.coin_type == batch.coin,
            TABLE.c.timestamp >= low,
            TABLE.c.timestamp <= high,
            TABLE.c.quote == batch.quote,
        )
        .limit(1)
    )
    with engine.connect() as connection:
        return connection.execute(query).first() is not None


def _write(connection: sa.Connection, batch: Batch, progress: Progress | None, merge: bool) -> int:
    backend = store_postgresql if connection.dialect.name == "postgresql" else store_sqlite
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        return backend.write(cursor, batch, progress, merge=merge)
    finally:
        cursor.close()


def write_bars(
    engine: Engine, bars: pd.DataFrame, *, progress: Progress | None = None
) -> WriteCount:
    """Upsert prepared bars (see :func:`prepare`) in one transaction; report the counts."""
    if bars.empty:
        return WriteCount(0, 0)
    batch = Batch.from_frame(bars)
    if not overlaps(engine, batch):
        try:
            with engine.begin() as connection:
                return WriteCount(inserted=_write(connection, batch, progress, False), updated=0)
        except RowsExist as error:
            log.info("bars appeared while importing (%s); merging instead", error)
    with engine.begin() as connection:
        before = _count(connection, batch)
        changed = _write(connection, batch, progress, True)
        inserted = _count(connection, batch) - before
    return WriteCount(inserted=inserted, updated=changed - inserted)
