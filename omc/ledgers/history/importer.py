"""``omc data import``: read a price file, aggregate fine bars to 5 minutes, write in bulk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from omc.errors import UsageProblem
from omc.ledgers.history.layouts import read_price_file, to_five_minute_bars
from omc.ledgers.history.store import Progress, prepare, write_bars

SYMBOL_CHARACTERS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def check_symbol(value: str, what: str = "coin") -> str:
    """An upper-cased symbol, or a usage error for anything that is not letters and digits."""
    symbol = value.strip().upper()
    if not symbol or len(symbol) > 20 or not set(symbol) <= SYMBOL_CHARACTERS:
        raise UsageProblem(f"invalid {what} symbol {value!r}: use letters and digits, e.g. BTC")
    return symbol


@dataclass
class ImportResult:
    file: str
    coin: str
    quote: str
    layout: str
    rows_read: int
    duplicates_dropped: int
    bad_prints_dropped: list[str]
    bar_seconds: int
    bars: int
    inserted: int
    updated: int
    first: str | None = None
    last: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def import_file(
    engine: Engine,
    path: Path,
    *,
    coin: str,
    quote: str = "USDT",
    source: str = "import",
    progress: Progress | None = None,
) -> ImportResult:
    """Import one price file; idempotent (re-importing it changes nothing)."""
    coin, quote = check_symbol(coin), check_symbol(quote, "quote")
    read = read_price_file(path, coin)
    frame, seconds = to_five_minute_bars(read.frame)
    bars = prepare(frame, coin, quote, source, seconds)
    counts = write_bars(engine, bars, progress=progress)
    return ImportResult(
        file=str(path),
        coin=coin,
        quote=quote,
        layout=read.layout,
        rows_read=read.rows_read,
        duplicates_dropped=read.duplicates,
        bad_prints_dropped=read.bad_prints,
        bar_seconds=seconds,
        bars=len(bars),
        inserted=counts.inserted,
        updated=counts.updated,
        first=bars["timestamp"].iloc[0].isoformat() if len(bars) else None,
        last=bars["timestamp"].iloc[-1].isoformat() if len(bars) else None,
    )
