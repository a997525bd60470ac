"""PostgreSQL binary COPY of a batch of bars, built with numpy a chunk of rows at a time.

In COPY's binary format a row is a field count and, per field, a byte length and the value in
PostgreSQL's own wire form. The server then parses no text: a ``timestamptz`` is eight bytes of
microseconds since 2000-01-01, a ``numeric`` its base-10000 digits. Given every price column as
exact fixed-point integers (:func:`fixed_point`), each field of a
row has one width for the whole batch, so a chunk is one structured array of big-endian fields
whose bytes are the payload: no Python object per row or per value.

A ``numeric`` is sent with a fixed number of base-10000 digits per column (leading and trailing
zero digits included); the server strips those (``numeric_recv`` normalises, as ``numeric_in``
does), so the stored value and its scale are the same as from the text ``1234.50``. The layout
is documented in the PostgreSQL manual ("COPY", binary format) and ``numeric.c``
(``numeric_send``/``numeric_recv``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from omc.ledgers.history.batch import Batch

SIGNATURE = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
TRAILER = (-1).to_bytes(2, "big", signed=True)
POSTGRES_EPOCH_MICROS = 946_684_800_000_000  # 2000-01-01T00:00:00Z in Unix microseconds
NUMERIC_BASE = 10_000
NUMERIC_DIGITS_PER_GROUP = 4
MAX_DECIMALS = 10  # the scale of the Money columns: more decimals would be rounded anyway
EXACT_LIMIT = 2**52  # below this, one k-decimal at most lies within a float's rounding interval


def fixed_point(values: np.ndarray) -> tuple[np.ndarray, int] | None:
    """``(n, k)`` with ``n / 10**k == values`` exactly (int64 ``n``, the fewest decimals ``k``),
    or ``None`` if there is no such ``k`` up to :data:`MAX_DECIMALS` (or a value is NaN or
    negative).

    ``n / 10**k`` is the correctly rounded float of the decimal ``n·10⁻ᵏ``, so equality means that
    decimal reads back as the value; below :data:`EXACT_LIMIT` it is the only such decimal with
    ``k`` places, so it is the value of ``repr(value)`` (the shortest such decimal): the stored
    ``numeric`` is the same as from ``repr``.
    """
    import numpy as np

    if len(values) == 0 or not np.isfinite(values).all() or (values < 0).any():
        return None
    for places in range(MAX_DECIMALS + 1):
        scale = 10.0**places
        scaled = np.rint(values * scale)
        if scaled.max() >= EXACT_LIMIT:
            return None
        if np.array_equal(scaled / scale, values):
            return scaled.astype(np.int64), places
    return None


def _groups(count: int) -> int:
    """Base-10000 digit groups needed for ``count`` decimal digits."""
    return -(-count // NUMERIC_DIGITS_PER_GROUP)


class NumericColumn:
    """One price column as fixed-width ``numeric`` fields: ``numbers / 10**places``, all
    non-negative (see :func:`fixed_point`)."""

    def __init__(self, numbers: np.ndarray, places: int) -> None:
        whole_digits = len(str(int(numbers.max()) // 10**places)) if len(numbers) else 1
        self.fraction_groups = _groups(places)
        self.groups = _groups(whole_digits) + self.fraction_groups
        self.weight = self.groups - self.fraction_groups - 1
        self.places = places
        # Scaled so the last base-10000 digit is the last fraction group (< 2**62: numbers are
        # below 2**52 and the factor is at most 1000).
        self.scaled = numbers * 10 ** (NUMERIC_DIGITS_PER_GROUP * self.fraction_groups - places)

    def layout(self, name: str) -> list[tuple[str, str] | tuple[str, str, tuple[int]]]:
        return [
            (f"{name}_length", ">i4"),
            (f"{name}_ndigits", ">i2"),
            (f"{name}_weight", ">i2"),
            (f"{name}_sign", ">i2"),
            (f"{name}_dscale", ">i2"),
            (f"{name}_digits", ">i2", (self.groups,)),
        ]

    def fill(self, out: np.ndarray, name: str, start: int, stop: int) -> None:
        import numpy as np

        out[f"{name}_length"] = 8 + 2 * self.groups
        out[f"{name}_ndigits"] = self.groups
        out[f"{name}_weight"] = self.weight
        out[f"{name}_sign"] = 0  # NUMERIC_POS
        out[f"{name}_dscale"] = self.places
        rest = self.scaled[start:stop].copy()
        digits = np.empty((stop - start, self.groups), dtype=np.int64)
        for column in range(self.groups - 1, -1, -1):
            rest, digits[:, column] = np.divmod(rest, NUMERIC_BASE)
        out[f"{name}_digits"] = digits


def _micros_since_2000(stamps: np.ndarray) -> np.ndarray:
    import numpy as np

    return stamps.astype("datetime64[us]").astype(np.int64) - POSTGRES_EPOCH_MICROS


def chunks(
    batch: Batch, columns: list[str], numerics: dict[str, NumericColumn], rows_per_chunk: int
) -> Iterator[tuple[int, bytes]]:
    """``(rows done, payload)`` for ``COPY … (columns) FROM STDIN (FORMAT BINARY)``; the first
    payload starts with the signature and the last ends with the trailer."""
    import numpy as np

    texts = {
        "coin_type": batch.coin.encode(),
        "quote": batch.quote.encode(),
        "source": batch.source.encode(),
    }
    times = {
        "timestamp": _micros_since_2000(batch.stamps),
        "collected_at": _micros_since_2000(batch.collected),
    }
    layout: list = [("fields", ">i2")]
    for name in columns:
        if name in numerics:
            layout += numerics[name].layout(name)
        elif name in texts:
            layout += [(f"{name}_length", ">i4"), (name, f"S{len(texts[name])}")]
        else:
            layout += [(f"{name}_length", ">i4"), (name, ">i8")]
    row = np.dtype(layout)
    total = len(batch)
    for start in range(0, total, rows_per_chunk):
        stop = min(start + rows_per_chunk, total)
        out = np.empty(stop - start, dtype=row)
        out["fields"] = len(columns)
        for name in columns:
            if name in numerics:
                numerics[name].fill(out, name, start, stop)
            elif name in texts:
                out[f"{name}_length"] = len(texts[name])
                out[name] = texts[name]
            else:
                out[f"{name}_length"] = 8
                out[name] = times[name][start:stop]
        payload = out.tobytes()
        if start == 0:
            payload = SIGNATURE + payload
        if stop == total:
            payload += TRAILER
        yield stop, payload
