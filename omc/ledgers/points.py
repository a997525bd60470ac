"""Point-in-time helpers shared by the ledger sources: snapshot buckets and provider times.

A snapshot source (a gas price, a TVL) has no event time of its own; its rows are stamped with
the start of the polling bucket, so a repeated run inside one interval updates the same row
instead of adding another.
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from typing import Any

from omc.db import as_utc


def bucket(now: dt.datetime, seconds: float) -> dt.datetime:
    """``now`` rounded down to a multiple of ``seconds`` since the epoch (UTC)."""
    step = max(int(seconds), 1)
    stamp = int(as_utc(now).timestamp())
    return dt.datetime.fromtimestamp(stamp - stamp % step, tz=dt.UTC)


def from_unix(value: Any) -> dt.datetime | None:
    """Unix seconds, or milliseconds when the number is that large, as UTC; else None."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1e11:
        number /= 1000.0
    return dt.datetime.fromtimestamp(number, tz=dt.UTC)


def from_struct(value: time.struct_time | None) -> dt.datetime | None:
    """A feedparser ``*_parsed`` value (a UTC struct_time) as an aware datetime."""
    if value is None:
        return None
    return dt.datetime.fromtimestamp(calendar.timegm(value), tz=dt.UTC)


def from_iso(value: Any) -> dt.datetime | None:
    """An ISO 8601 string (``Z`` allowed) as UTC; else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return as_utc(dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except ValueError:
        return None
