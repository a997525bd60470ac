"""PostgreSQL bulk writes through COPY.

New rows (no stored bar of this market in the file's time range, the common first import) are
copied straight into ``price_data_5min``: one pass, no staging. Otherwise they are copied into a
temporary table and merged with one ``INSERT … SELECT … ON CONFLICT``. Rows go in chunks in
COPY's binary format, built with numpy, when every price column is exact as fixed-point
decimals (see :mod:`omc.ledgers.history.copy_binary`: the server then parses no text, which is
most of its work besides the primary key), else as COPY text with ``repr`` per value; a writer
thread sends one chunk while the next is built, so the client's work overlaps the server's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omc.ledgers.history import copy_binary
from omc.ledgers.history.batch import PRICES, Batch
from omc.ledgers.history.store_sql import COLUMNS, RowsExist, conflict_sql

CHUNK_ROWS = 20_000
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


def _binary_chunks(batch: Batch) -> Iterator[tuple[int, bytes]] | None:
    """Binary COPY chunks built with numpy, or ``None`` if a price column is not exact as
    fixed-point decimals (a NULL, a negative, too many decimals: then text with ``repr``)."""
    exact = {name: copy_binary.fixed_point(batch.arrays[name]) for name in PRICES}
    if any(found is None for found in exact.values()):
        return None
    numerics = {name: copy_binary.NumericColumn(*found) for name, found in exact.items()}  # type: ignore[misc]
    return copy_binary.chunks(batch, list(COLUMNS), numerics, CHUNK_ROWS)


def _text_chunks(batch: Batch) -> Iterator[tuple[int, str]]:
    stamps, collected = batch.stamp_text(sep="T", suffix="+00")
    constant = f"\t{_text(batch.coin)}\t{_text(batch.quote)}\t"
    source = f"\t{_text(batch.source)}\t"
    columns = [batch.prices[name] for name in PRICES]
    for start in range(0, len(batch), CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, len(batch))
        parts = [_numbers(column[start:stop]) for column in columns]
        lines = [
            f"{stamp}{constant}{last}\t{open_}\t{high}\t{low}\t{volume}{source}{known}\n"
            for stamp, last, open_, high, low, volume, known in zip(
                stamps[start:stop], *parts, collected[start:stop], strict=True
            )
        ]
        yield stop, "".join(lines)


def _copy(cursor: Any, table: str, batch: Batch, progress: Any) -> None:
    from psycopg.copy import QueuedLibpqWriter

    binary = _binary_chunks(batch)
    chunks: Iterator[tuple[int, bytes | str]] = binary or _text_chunks(batch)
    names = ", ".join(COLUMNS)
    options = " (FORMAT BINARY)" if binary else ""
    writer = QueuedLibpqWriter(cursor)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN{options}", writer=writer) as copy:
        for stop, data in chunks:
            copy.write(data)
            if progress:
                progress(stop, len(batch))


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
