"""Timestamps as text, many at a time, fast.

``numpy.datetime_as_string`` costs about 1 µs per value and per-row ``strftime`` more; the bulk
writers need a million stamps in a small fraction of a second. Bars repeat a few days and times
of day, so each distinct day and time of day is formatted once, and every row is gathered from
those as fixed-width bytes, then split into strings at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

MICROS_PER_DAY = 86_400_000_000
DENSE_LIMIT = 1 << 20  # index distinct values by offset (no sort) when they span less than this


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct values and each row's index into them (``np.unique`` without its sort when
    the values span a small range, which dated bars always do)."""
    import numpy as np

    low = int(values.min())
    span = int(values.max()) - low + 1
    if span > DENSE_LIMIT:
        return np.unique(values, return_inverse=True)
    offsets = values - low
    present = np.zeros(span, dtype=bool)
    present[offsets] = True
    position = np.cumsum(present) - 1
    return np.flatnonzero(present) + low, position[offsets]


def stamp_text(stamps: np.ndarray, *, sep: str = " ", suffix: str = "") -> list[str]:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` + ``suffix`` for each naive-UTC ``datetime64`` value.

    With the defaults this is exactly how SQLAlchemy stores a ``DateTime`` on SQLite (as
    :class:`omc.db.UTCDateTime` does), so rows written in bulk and rows written through the ORM
    share one natural key.
    """
    if len(stamps) == 0:
        return []
    return _lines(stamps, sep, suffix).split("\n")


def iso_text(stamps: np.ndarray) -> list[str]:
    """Each naive-UTC ``datetime64`` value as ``datetime.isoformat`` writes it in UTC
    (``2024-01-01T00:00:00+00:00``, microseconds only when not zero): how
    :class:`omc.db.ISOUTCDateTime` stores a time on SQLite."""
    if len(stamps) == 0:
        return []
    return _lines(stamps, "T", "+00:00").replace(".000000+", "+").split("\n")


def _lines(stamps: np.ndarray, sep: str, suffix: str) -> str:
    """Every stamp as ``YYYY-MM-DD`` + ``sep`` + ``HH:MM:SS.ffffff`` + ``suffix``, one a line:
    fixed-width ASCII records gathered with numpy, decoded once (``split`` makes the strings)."""
    import numpy as np

    day_text, day_rows, time_text, time_rows = _parts(stamps, sep, suffix)
    # Exact widths (numpy pads text arrays): the day and ``sep``, the time and ``suffix``.
    day_text = day_text.astype(f"S{10 + len(sep)}")
    time_text = time_text.astype(f"S{15 + len(suffix)}")
    layout = [("day", day_text.dtype), ("time", time_text.dtype), ("newline", "S1")]
    out = np.empty(len(stamps), dtype=layout)
    out["day"] = day_text[day_rows]
    out["time"] = time_text[time_rows]
    out["newline"] = b"\n"
    return out.tobytes()[:-1].decode("ascii")


def _parts(
    stamps: np.ndarray, sep: str, suffix: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct days (``YYYY-MM-DD`` + ``sep``) and times of day (``HH:MM:SS.ffffff`` +
    ``suffix``) as text, and each row's index into them."""
    import numpy as np

    micros = stamps.astype("datetime64[us]").astype(np.int64)
    day, in_day = np.divmod(micros, MICROS_PER_DAY)
    days, day_rows = _distinct(day)
    whole = not (in_day % 1_000_000).any()
    times, time_rows = _distinct(in_day // 1_000_000 if whole else in_day)
    if whole:
        times = times * 1_000_000
    day_text = np.datetime_as_string(days.astype("datetime64[D]"), unit="D")
    day_text = np.char.add(day_text.astype("<U10"), sep)
    time_text = np.datetime_as_string(times.astype("datetime64[us]"), unit="us")
    time_text = np.char.add(np.array([text[11:] for text in time_text.tolist()]), suffix)
    return day_text, day_rows, time_text, time_rows
