"""Where the paper broker gets its prices: the latest real CoinSpot bid/ask, from the hot cache
or else the newest bar in the exchange ledger. Anything else with ``latest()`` will do (the
trading floor's replay passes stored bars with a simulated clock)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from omc.cache import Cache


@dataclass(frozen=True)
class PriceSnapshot:
    """A market's bid/ask/last and when omc fetched them."""

    coin: str
    quote: str
    bid: Decimal | None
    ask: Decimal | None
    last: Decimal | None
    at: dt.datetime
    source: str


class PriceSource(Protocol):
    def latest(self, coin: str, quote: str = "AUD") -> PriceSnapshot | None: ...


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    # The cache holds floats; their shortest repr is the decimal text CoinSpot sent.
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value))
    return amount if amount.is_finite() and amount > 0 else None


class LatestPrices:
    """The collector's latest CoinSpot prices (cache first, then the database)."""

    def __init__(self, cache: Cache | None, engine: Any) -> None:
        self.cache = cache
        self.engine = engine

    def latest(self, coin: str, quote: str = "AUD") -> PriceSnapshot | None:
        from omc.db import utcnow
        from omc.ledgers.exchange.latest import latest_prices

        rows = latest_prices(self.cache, self.engine, [coin], quote=quote, now=utcnow())
        if not rows:
            return None
        row = rows[0]
        return PriceSnapshot(
            coin=row["coin_type"],
            quote=row["quote"],
            bid=_decimal(row.get("bid")),
            ask=_decimal(row.get("ask")),
            last=_decimal(row.get("last")),
            at=dt.datetime.fromisoformat(row["fetched_at"]),
            source=f"{row.get('source', 'coinspot')} ({row.get('from', 'cache')})",
        )
