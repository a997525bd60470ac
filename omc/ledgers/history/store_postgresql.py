"""PostgreSQL bulk writes through COPY.

New rows (no stored bar of this market in the file's time range, the common first import) are
copied straight into ``price_data_5min``: one pass, no staging. Otherwise they are copied into a
temporary table and merged with one ``INSERT … SELECT … ON CONFLICT``. Rows are sent as COPY
text built in chunks, with numpy when every price column is exact as fixed-point decimals (see
:mod:`omc.ledgers.history.copy_text`), else with ``repr`` per value; a writer thread sends one
chunk while the next is built, so the client's work overlaps the server's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from omc.ledgers.history import copy_text
from omc.ledgers.history.batch import PRICES, Batch
from omc.ledgers.history.stamps import stamp_bytes
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


def _fast_chunks(batch: Batch) -> Iterator[tuple[int, bytes]] | None:
    """COPY text chunks built with numpy, or ``None`` if a price column needs ``repr``."""
    exact = [copy_text.fixed_point(batch.arrays[name]) for name in PRICES]
    if any(found is None for found in exact):
        return None
    stamps = stamp_bytes(batch.stamps, sep="T", suffix="+00")
    collected = stamp_bytes(batch.collected, sep="T", suffix="+00")
    constant = f"\t{_text(batch.coin)}\t{_text(batch.quote)}\t".encode()
    source = f"\t{_text(batch.source)}\t".encode()
    columns = [
        (numbers, places, copy_text.integer_width(numbers, places))
        for numbers, places in exact  # type: ignore[misc]
    ]

    def chunks() -> Iterator[tuple[int, bytes]]:
        for start in range(0, len(batch), CHUNK_ROWS):
            stop = min(start + CHUNK_ROWS, len(batch))
            prices = [
                copy_text.decimal_text(numbers[start:stop], places, width)
                for numbers, places, width in columns
            ]
            fields = [stamps[start:stop], constant, prices[0]]
            for price in prices[1:]:
                fields += [b"\t", price]
            fields += [source, collected[start:stop], b"\n"]
            yield stop, copy_text.rows(fields, stop - start)

    return chunks()


def _slow_chunks(batch: Batch) -> Iterator[tuple[int, str]]:
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

    chunks: Iterator[tuple[int, bytes | str]] = _fast_chunks(batch) or _slow_chunks(batch)
    names = ", ".join(COLUMNS)
    writer = QueuedLibpqWriter(cursor)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN", writer=writer) as copy:
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
