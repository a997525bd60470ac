"""PostgreSQL bulk writes through COPY.

New rows (no stored bar of this market in the file's time range, the common first import) are
copied straight into ``price_data_5min``: one pass, no staging. Otherwise they are copied into a
temporary table and merged with one ``INSERT … SELECT … ON CONFLICT``. Rows are sent as COPY
text built in chunks while the server ingests the previous chunk.
"""

from __future__ import annotations

from typing import Any

from omc.ledgers.history.batch import Batch
from omc.ledgers.history.store_sql import COLUMNS, RowsExist, conflict_sql

CHUNK_ROWS = 50_000
NULL = "\\N"
SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.:/ ")


def _text(value: str) -> str:
    """A constant text field, refused if COPY text would need escaping (symbols never do)."""
    if not set(value) <= SAFE:
        raise ValueError(f"unexpected characters in {value!r}")
    return value


def _numbers(values: list[float | None]) -> list[str]:
    """COPY text of floats (``repr`` is the shortest exact form), ``\\N`` for ``None``."""
    if None in values:
        return [NULL if value is None else repr(value) for value in values]
    return list(map(repr, values))


def _copy(cursor: Any, table: str, batch: Batch, progress: Any) -> None:
    stamps, collected = batch.stamp_text(sep="T", suffix="+00")
    constant = f"\t{_text(batch.coin)}\t{_text(batch.quote)}\t"
    source = f"\t{_text(batch.source)}\t"
    columns = [batch.prices[name] for name in ("last", "open", "high", "low", "volume")]
    total = len(batch)
    names = ", ".join(COLUMNS)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for start in range(0, total, CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, total)
            parts = [_numbers(column[start:stop]) for column in columns]
            lines = [
                f"{stamp}{constant}{last}\t{open_}\t{high}\t{low}\t{volume}{source}{known}\n"
                for stamp, last, open_, high, low, volume, known in zip(
                    stamps[start:stop], *parts, collected[start:stop], strict=True
                )
            ]
            copy.write("".join(lines))
            if progress:
                progress(stop, total)


def write(cursor: Any, batch: Batch, progress: Any, *, merge: bool) -> int:
    """COPY the batch in; ``merge`` stages and upserts (returns rows changed), otherwise COPY
    straight into the table, raising :class:`RowsExist` if any key is already stored."""
    import psycopg

    if not merge:
        try:
            _copy(cursor, "price_data_5min", batch, progress)
        except psycopg.errors.UniqueViolation as error:
            raise RowsExist(str(error)) from None
        return len(batch)
    cursor.execute(
        "CREATE TEMP TABLE omc_import_bars (timestamp timestamptz, coin_type text, "
        "quote text, last numeric, open numeric, high numeric, low numeric, volume numeric, "
        "source text, collected_at timestamptz) ON COMMIT DROP"
    )
    _copy(cursor, "omc_import_bars", batch, progress)
    names = ", ".join(COLUMNS)
    insert = f"INSERT INTO price_data_5min ({names}) SELECT {names} FROM omc_import_bars "  # noqa: S608
    cursor.execute(insert + conflict_sql("EXCLUDED", "IS DISTINCT FROM"))
    changed = max(cursor.rowcount, 0)
    cursor.execute("DROP TABLE omc_import_bars")
    return changed
