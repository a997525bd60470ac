"""What both bulk writers share: the column order, the upsert clause, the "rows exist" signal."""

from __future__ import annotations

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


class RowsExist(Exception):
    """A plain insert met a stored key (another writer got there first): merge instead."""


def conflict_sql(excluded: str, distinct: str) -> str:
    """``ON CONFLICT`` that rewrites a stored bar only when a price or volume differs, so a
    re-import changes nothing; ``bid``/``ask`` of an existing row (from CoinSpot) are kept."""
    sets = ", ".join(f"{name} = {excluded}.{name}" for name in UPDATED)
    current = ", ".join(f"price_data_5min.{name}" for name in CHANGED)
    proposed = ", ".join(f"{excluded}.{name}" for name in CHANGED)
    return (
        f"ON CONFLICT (coin_type, timestamp, quote) DO UPDATE SET {sets} "
        f"WHERE ({current}) {distinct} ({proposed})"
    )
