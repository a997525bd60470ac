"""Five-minute bars: bucketing times and the upsert rules that grow a bar from polls.

CoinSpot has no OHLCV endpoint, so omc builds its own bars: every poll upserts the bar of the
current 5-minute bucket; ``open`` stays the first price seen, ``high``/``low`` widen, and
``last``/``bid``/``ask`` take the newest values.
"""

from __future__ import annotations

import datetime as dt

from omc.db import as_utc
from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.upsert import UpdateRule, keep_existing, keep_max, keep_min, take_new

BAR = dt.timedelta(minutes=5)
PRICE_TABLE = PriceBar.__table__
PRICE_KEY = ("coin_type", "timestamp", "quote")

POLL_RULES: dict[str, UpdateRule] = {
    "open": keep_existing("open"),
    "high": keep_max("high"),
    "low": keep_min("low"),
    "last": take_new("last"),
    "bid": take_new("bid"),
    "ask": take_new("ask"),
    "source": take_new("source"),
    "collected_at": take_new("collected_at"),
}


def bucket_start(when: dt.datetime) -> dt.datetime:
    """The start of the 5-minute bucket holding ``when`` (UTC)."""
    when = as_utc(when)
    return when.replace(minute=when.minute - when.minute % 5, second=0, microsecond=0)
