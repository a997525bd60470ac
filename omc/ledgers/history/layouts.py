"""Recognise and read OHLCV price files into one frame: ``timestamp, open, high, low, close,
volume`` (UTC, ascending, one row per timestamp).

Layouts recognised (all optionally gzip'd): data.binance.vision klines (no header; ms, and µs
from 2025), ccxt-style ``open_time,open,…``, CryptoDataDownload (``unix,date,symbol,…``; newest
first, mixed second/ms ``unix``, overlapping duplicate rows), Bybit-style ISO ``timestamp``,
and ``date,open,…`` exports.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from omc.errors import DataProblem, NotFound

if TYPE_CHECKING:
    import pandas as pd

TIME_COLUMNS = ("unix", "open_time", "opentime", "timestamp", "time", "date", "datetime")
PRICE_COLUMNS = ("open", "high", "low", "close")
MAX_BAR_RANGE = 2.0  # a bar whose high is more than twice its low is a bad print, not a market


@dataclass
class ReadBars:
    """The frame read from a file, and what was done to it on the way."""

    frame: pd.DataFrame
    layout: str
    rows_read: int
    duplicates: int
    bad_prints: list[str]


def _normalise_name(name: object) -> str:
    return " ".join(str(name).strip().lower().replace("_", " ").split()).replace(" ", "_")


def _starts_with_number(path: Path) -> bool:
    import gzip

    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8", errors="replace") as handle:  # type: ignore[operator]
        first = handle.readline().split(",")[0].strip().strip('"')
    try:
        float(first)
    except ValueError:
        return False
    return True


def epoch_to_datetime(values: pd.Series) -> pd.Series:
    """Epoch numbers in s, ms or µs (row by row, as CryptoDataDownload mixes them) → UTC."""
    import numpy as np
    import pandas as pd

    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype="float64")
    millis = np.where(
        numbers > 1e14, numbers / 1000, np.where(numbers > 1e11, numbers, numbers * 1000)
    )
    stamps = pd.to_datetime(np.round(millis), unit="ms", utc=True)  # NaN becomes NaT
    return pd.Series(stamps, index=values.index)


def _parse_times(column: pd.Series) -> pd.Series:
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(column):  # parsed while reading (see _read)
        if getattr(column.dt, "tz", None) is None:
            return column.dt.tz_localize("UTC")
        return column.dt.tz_convert("UTC")
    if pd.api.types.is_numeric_dtype(column):
        return epoch_to_datetime(column)
    return pd.to_datetime(column, utc=True, format="ISO8601", errors="coerce")


@dataclass
class _Columns:
    """Where a file keeps what omc reads: original column names (or positions), its layout."""

    time: str | int
    prices: dict[str, str | int]  # open, high, low, close
    volume: str | int | None
    layout: str
    parse_time: bool  # text times: parsed by the CSV reader itself, no Python string per row


def _columns(path: Path, coin: str) -> tuple[_Columns, bool]:
    """Recognise the layout from the first rows; ``(columns, has a header)``."""
    import pandas as pd

    if _starts_with_number(path):
        sample = pd.read_csv(path, header=None, nrows=5)
        if sample.shape[1] < 6:
            raise DataProblem(
                f"unrecognised layout in {path.name}: {sample.shape[1]} unnamed columns; "
                "expected the 12-column data.binance.vision kline layout"
            )
        prices = dict(zip(PRICE_COLUMNS, range(1, 5), strict=True))
        return _Columns(0, prices, 5, "binance-vision klines (no header)", False), False
    sample = pd.read_csv(path, nrows=5)
    found = [str(name) for name in sample.columns]
    originals: dict[str, str] = {}
    for name in found:
        originals.setdefault(_normalise_name(name), name)
    time_column = next((name for name in TIME_COLUMNS if name in originals), None)
    if time_column is None or any(name not in originals for name in PRICE_COLUMNS):
        raise DataProblem(
            f"unrecognised layout in {path.name}: found columns {', '.join(found)}; expected a "
            f"time column ({', '.join(TIME_COLUMNS)}) and {', '.join(PRICE_COLUMNS)}"
        )
    volume = next(
        (name for name in (f"volume_{coin.lower()}", "volume") if name in originals), None
    )
    layout = {
        "unix": "CryptoDataDownload",
        "open_time": "ccxt/binance open_time",
        "opentime": "binance-vision klines (with header)",
        "timestamp": "ISO timestamp (Bybit-style)",
    }.get(time_column, f"{time_column} column")
    time = originals[time_column]
    columns = _Columns(
        time=time,
        prices={name: originals[name] for name in PRICE_COLUMNS},
        volume=originals[volume] if volume else None,
        layout=layout,
        parse_time=not pd.api.types.is_numeric_dtype(sample[time]),
    )
    return columns, True


def _read(path: Path, coin: str) -> tuple[pd.DataFrame, str]:
    """The file's time, prices and volume as a frame with omc's names, and its layout."""
    import pandas as pd

    columns, header = _columns(path, coin)
    wanted = {"timestamp": columns.time, **columns.prices}
    if columns.volume is not None:
        wanted["volume"] = columns.volume
    raw = pd.read_csv(
        path,
        header=0 if header else None,
        usecols=list(wanted.values()),
        parse_dates=[columns.time] if columns.parse_time else None,
    )
    frame = pd.DataFrame({"timestamp": _parse_times(raw[columns.time])})
    for name in PRICE_COLUMNS:
        frame[name] = pd.to_numeric(raw[wanted[name]], errors="coerce")
    volume = wanted.get("volume")
    frame["volume"] = (
        pd.to_numeric(raw[volume], errors="coerce") if volume is not None else float("nan")
    )
    return frame, columns.layout


def _unreadable() -> tuple[type[BaseException], ...]:
    """What reading a file that is not (gzip'd) CSV raises: a truncated or corrupt gzip stream
    (``EOFError``, ``zlib.error``), bad text, or what pandas says of the CSV."""
    import zlib

    import pandas as pd

    return (
        UnicodeDecodeError,
        EOFError,
        zlib.error,
        OSError,
        pd.errors.ParserError,
        pd.errors.EmptyDataError,
    )


def read_price_file(path: Path, coin: str) -> ReadBars:
    """Read ``path`` into normalised bars, or raise a clear error naming what was found."""

    if not path.is_file():
        raise NotFound(f"no such file: {path}")
    try:
        frame, layout = _read(path, coin)
    except _unreadable() as error:
        raise DataProblem(f"cannot read {path.name} as CSV: {error}") from None
    rows_read = len(frame)
    frame = frame.dropna(subset=["timestamp", "close"])
    frame = frame[(frame["close"] > 0)]
    if frame.empty:
        raise DataProblem(f"{path.name} has no rows with a time and a closing price")
    frame = frame.sort_values("timestamp", kind="stable")
    before = len(frame)
    frame = frame.drop_duplicates(subset="timestamp", keep="first")
    duplicates = before - len(frame)
    spread = frame["high"] / frame["low"]
    bad = frame[(spread > MAX_BAR_RANGE) | (frame["low"] <= 0)]
    bad_prints = [stamp.isoformat() for stamp in bad["timestamp"]]
    frame = frame.drop(bad.index).reset_index(drop=True)
    return ReadBars(frame, layout, rows_read, duplicates, bad_prints)


def bar_seconds(frame: pd.DataFrame) -> int:
    """The bar length: the most common step between timestamps (300 for 5-minute bars)."""
    if len(frame) < 2:
        return 300
    steps = frame["timestamp"].diff().dropna().dt.total_seconds()
    return int(steps.mode().iloc[0])


def to_five_minute_bars(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Aggregate bars finer than 5 minutes; coarser bars stay at their own timestamps.

    Returns the frame and the stored bar length in seconds.
    """
    seconds = bar_seconds(frame)
    if seconds >= 300:
        return frame, seconds
    frame = frame.assign(bucket=frame["timestamp"].dt.floor("5min"))
    grouped = frame.groupby("bucket", sort=True)
    out = grouped.agg(
        open=("open", "first"),
        high=("high", "max"),
        low=("low", "min"),
        close=("close", "last"),
        volume=("volume", "sum"),
        volumes=("volume", "count"),
    )
    out["volume"] = out["volume"].where(out.pop("volumes") > 0)
    out = out.reset_index().rename(columns={"bucket": "timestamp"})
    return out, 300
