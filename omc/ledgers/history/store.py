"""Write many bars to ``price_data_5min`` fast and idempotently.

PostgreSQL: COPY (CSV) into a temporary table, then one ``INSERT … SELECT … ON CONFLICT``.
SQLite: ``executemany`` of ``INSERT … ON CONFLICT`` in one large transaction. Never one ORM
object per row. A conflicting row is rewritten only when a price or volume differs, so
re-importing a file changes nothing; ``bid``/``ask`` of an existing row (from CoinSpot) are kept.
Imported bars get ``collected_at`` = the bar's close (when the bar became knowable), so
point-in-time backtests can use history.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.ledgers.exchange.models import PriceBar

if TYPE_CHECKING:
    import pandas as pd

Progress = Callable[[int, int], None]
CHUNK_ROWS = 100_000
COLUMNS = (
    "timestamp",
    "coin_type",
    "quote",
    "last",
    "open",
    "high",
    "low",
    "volume",
    "source",
    "collected_at",
)
UPDATED = ("last", "open", "high", "low", "volume", "source", "collected_at")
CHANGED = ("last", "open", "high", "low", "volume")


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


def _count(connection: sa.Connection, coin: str, quote: str) -> int:
    table = PriceBar.__table__
    query = sa.select(sa.func.count()).where(table.c.coin_type == coin, table.c.quote == quote)
    return connection.execute(query).scalar_one()


def write_bars(
    engine: Engine, bars: pd.DataFrame, *, progress: Progress | None = None
) -> WriteCount:
    """Upsert prepared bars (see :func:`prepare`) in one transaction; report the counts."""
    if bars.empty:
        return WriteCount(0, 0)
    coin, quote = bars["coin_type"].iloc[0], bars["quote"].iloc[0]
    with engine.begin() as connection:
        before = _count(connection, coin, quote)
        if connection.dialect.name == "postgresql":
            changed = _write_postgresql(connection, bars, progress)
        else:
            changed = _write_sqlite(connection, bars, progress)
        inserted = _count(connection, coin, quote) - before
    return WriteCount(inserted=inserted, updated=changed - inserted)


def _conflict_sql(excluded: str, distinct: str) -> str:
    sets = ", ".join(f"{name} = {excluded}.{name}" for name in UPDATED)
    current = ", ".join(f"price_data_5min.{name}" for name in CHANGED)
    proposed = ", ".join(f"{excluded}.{name}" for name in CHANGED)
    return (
        f"ON CONFLICT (coin_type, timestamp, quote) DO UPDATE SET {sets} "
        f"WHERE ({current}) {distinct} ({proposed})"
    )


def _sqlite_times(values: pd.Series) -> list[str]:
    """Timestamps as SQLAlchemy stores them on SQLite (naive UTC text with microseconds), so
    rows written here and rows written through the ORM share one natural key."""
    import numpy as np

    text = np.datetime_as_string(
        values.dt.tz_convert(None).to_numpy().astype("datetime64[us]"), unit="us"
    )
    return [stamp.replace("T", " ") for stamp in text.tolist()]


def _write_sqlite(connection: sa.Connection, bars: pd.DataFrame, progress: Progress | None) -> int:
    names = ", ".join(COLUMNS)
    marks = ", ".join("?" for _ in COLUMNS)
    # Built from the constant column names above only; values go through parameters.
    sql = f"INSERT INTO price_data_5min ({names}) VALUES ({marks}) "  # noqa: S608
    sql += _conflict_sql("excluded", "IS NOT")
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    changed, total = 0, len(bars)
    for start in range(0, total, CHUNK_ROWS):
        part = bars.iloc[start : start + CHUNK_ROWS]
        volume = part["volume"].astype(object).where(part["volume"].notna(), None)
        rows = zip(
            _sqlite_times(part["timestamp"]),
            part["coin_type"].tolist(),
            part["quote"].tolist(),
            part["last"].tolist(),
            part["open"].tolist(),
            part["high"].tolist(),
            part["low"].tolist(),
            volume.tolist(),
            part["source"].tolist(),
            _sqlite_times(part["collected_at"]),
            strict=True,
        )
        cursor.executemany(sql, rows)
        changed += max(cursor.rowcount, 0)
        if progress:
            progress(min(start + CHUNK_ROWS, total), total)
    cursor.close()
    return changed


def _write_postgresql(
    connection: sa.Connection, bars: pd.DataFrame, progress: Progress | None
) -> int:
    raw = connection.connection.driver_connection  # a psycopg Connection in our transaction
    names = ", ".join(COLUMNS)
    with raw.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(
            "CREATE TEMP TABLE omc_import_bars (timestamp timestamptz, coin_type text, "
            "quote text, last numeric, open numeric, high numeric, low numeric, volume numeric, "
            "source text, collected_at timestamptz) ON COMMIT DROP"
        )
        total = len(bars)
        with cursor.copy(f"COPY omc_import_bars ({names}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, total, CHUNK_ROWS):
                buffer = io.StringIO()
                bars.iloc[start : start + CHUNK_ROWS].to_csv(
                    buffer, header=False, index=False, date_format="%Y-%m-%d %H:%M:%S%z"
                )
                copy.write(buffer.getvalue())
                if progress:
                    progress(min(start + CHUNK_ROWS, total), total)
        insert = f"INSERT INTO price_data_5min ({names}) SELECT {names} FROM omc_import_bars "  # noqa: S608
        cursor.execute(insert + _conflict_sql("EXCLUDED", "IS DISTINCT FROM"))
        changed = max(cursor.rowcount, 0)
        cursor.execute("DROP TABLE omc_import_bars")
    return changed
