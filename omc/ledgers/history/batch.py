"""Prepared bars as plain Python columns, ready for a driver: parsed once, converted once.

The bulk writers hand rows straight to ``sqlite3`` / psycopg, so every value is already what
the driver sends: timestamps as text in the stored format, prices as floats, a missing value as
``None``. No pandas object is touched per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from omc.ledgers.history.stamps import stamp_text

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

PRICES = ("last", "open", "high", "low", "volume")


@dataclass
class Batch:
    """One market's bars: ``stamps``/``collected`` naive UTC ``datetime64[us]``, prices lists."""

    coin: str
    quote: str
    source: str
    stamps: np.ndarray
    collected: np.ndarray
    arrays: dict[str, np.ndarray]  # float64 prices, NaN for a missing value

    def __len__(self) -> int:
        return len(self.stamps)

    @cached_property
    def prices(self) -> dict[str, list[float | None]]:
        """The prices as Python floats, ``None`` for a missing value (made only when a writer
        binds values one by one: PostgreSQL's numpy COPY path never needs them)."""
        return {name: _floats(values) for name, values in self.arrays.items()}

    @classmethod
    def from_frame(cls, bars: pd.DataFrame) -> Batch:
        """From a frame made by :func:`omc.ledgers.history.store.prepare`."""
        arrays = {name: bars[name].to_numpy(dtype="float64") for name in PRICES}
        return cls(
            coin=str(bars["coin_type"].iloc[0]),
            quote=str(bars["quote"].iloc[0]),
            source=str(bars["source"].iloc[0]),
            stamps=_naive_utc(bars["timestamp"]),
            collected=_naive_utc(bars["collected_at"]),
            arrays=arrays,
        )

    def stamp_text(self, *, sep: str = " ", suffix: str = "") -> tuple[list[str], list[str]]:
        """Bar timestamps and ``collected_at`` as text (see :func:`stamp_text`)."""
        return (
            stamp_text(self.stamps, sep=sep, suffix=suffix),
            stamp_text(self.collected, sep=sep, suffix=suffix),
        )


def _naive_utc(values: pd.Series) -> np.ndarray:
    return values.dt.tz_convert(None).to_numpy().astype("datetime64[us]")


def _floats(values: np.ndarray) -> list[float | None]:
    """Floats, with NaN as ``None`` (stored as NULL on both databases)."""
    import numpy as np

    listed = values.tolist()
    if np.isnan(values).any():
        return [None if value != value else value for value in listed]  # NaN != NaN
    return listed
