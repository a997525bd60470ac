"""SQLite bulk writes: ``executemany`` on the raw ``sqlite3`` cursor in one transaction."""

from __future__ import annotations

import sqlite3
from typing import Any

from omc.ledgers.history.batch import Batch
from omc.ledgers.history.store_sql import COLUMNS, RowsExist, conflict_sql

CHUNK_ROWS = 100_000


def write(cursor: sqlite3.Cursor, batch: Batch, progress: Any, *, merge: bool) -> int:
    """Insert the batch; ``merge`` upserts (the rows changed), otherwise a plain INSERT that
    raises :class:`RowsExist` if any key is already stored. Returns rows written/changed."""
    names = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    # Built from the constant column names above only; values go through parameters.
    sql = f"INSERT INTO price_data_5min ({names}) VALUES ({marks})"  # noqa: S608
    if merge:
        sql += " " + conflict_sql("excluded", "IS NOT")
    stamps, collected = batch.stamp_text()
    prices = batch.prices
    total, changed = len(batch), 0
    for start in range(0, total, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, total)
        n = stop - start
        rows = zip(
            stamps[start:stop],
            [batch.coin] * n,
            [batch.quote] * n,
            *(prices[name][start:stop] for name in ("last", "open", "high", "low", "volume")),
            [batch.source] * n,
            collected[start:stop],
            strict=True,
        )
        try:
            cursor.executemany(sql, rows)
        except sqlite3.IntegrityError as error:
            if merge or "UNIQUE" not in str(error):
                raise
            raise RowsExist(str(error)) from None
        changed += max(cursor.rowcount, 0)
        if progress:
            progress(stop, total)
    return changed
