"""CoinSpot prices: the public v2 ``/latest`` endpoint, plus ``/latest/{coin}`` for watch-list
coins ``/latest`` leaves out (it has been seen to list only ~17 coins).

Prices arrive as strings and may be ``"NaN"`` for illiquid pairs. Keys are ``btc`` (AUD market)
or ``btc_usdt`` (another market). bid = the highest buy offer, ask = the lowest sell offer.
Each poll upserts the bar of the current 5-minute bucket and puts the snapshot in the hot cache.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator

from omc.ledgers.exchange.bars import POLL_RULES, PRICE_KEY, PRICE_TABLE, bucket_start
from omc.ledgers.exchange.latest import store_latest
from omc.ledgers.http import PermanentError
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "coinspot"


def parse_price(value: Any) -> Decimal | None:
    """A CoinSpot price string as a Decimal; ``"NaN"``, empty and non-positive are unknown."""
    if value is None:
        return None
    try:
        price = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"not a price: {value!r}") from None
    if price.is_nan() or not price.is_finite() or price <= 0:
        return None
    return price


class Quote(BaseModel):
    model_config = ConfigDict(extra="ignore")

    bid: Decimal | None = None
    ask: Decimal | None = None
    last: Decimal | None = None

    @field_validator("bid", "ask", "last", mode="before")
    @classmethod
    def _price(cls, value: Any) -> Decimal | None:
        if isinstance(value, float) and math.isnan(value):
            return None
        return parse_price(value)


class LatestAll(BaseModel):
    """``GET /latest``: ``{"status": "ok", "prices": {"btc": {bid, ask, last}, …}}``."""

    status: Literal["ok"]
    prices: dict[str, Quote]


class LatestOne(BaseModel):
    """``GET /latest/{coin}``: ``{"status": "ok", "prices": {bid, ask, last}}``."""

    status: Literal["ok"]
    prices: Quote


def split_market(key: str) -> tuple[str, str]:
    """``btc`` → (BTC, AUD); ``btc_usdt`` → (BTC, USDT)."""
    coin, _, market = key.strip().partition("_")
    return coin.upper(), (market or "aud").upper()


@register
class CoinSpotPrices(Source):
    name = SOURCE_NAME
    ledger = "exchange"
    interval = dt.timedelta(seconds=60)
    interval_setting = "market.poll_seconds"
    description = "CoinSpot public prices (bid/ask/last) into 5-minute bars"

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        market = ctx.settings.market
        with ctx.http(
            SOURCE_NAME,
            market.coinspot_url,
            requests_per_minute=market.coinspot_requests_per_minute,
        ) as client:
            everything = client.get_json("/latest")
            listed = set()
            if isinstance(everything, dict) and isinstance(everything.get("prices"), dict):
                listed = {split_market(key) for key in everything["prices"]}
            extra: dict[str, Any] = {}
            for coin in market.watchlist:
                if (coin.upper(), "AUD") in listed:
                    continue
                try:
                    extra[coin.upper()] = client.get_json(f"/latest/{coin.lower()}")
                except PermanentError:
                    extra[coin.upper()] = None  # CoinSpot does not list it: "Coin not found"
        return {"latest": everything, "coins": extra, "fetched_at": ctx.clock()}

    def validate(self, raw: dict[str, Any]) -> dict[tuple[str, str], Quote]:
        quotes: dict[tuple[str, str], Quote] = {}
        for key, quote in LatestAll.model_validate(raw["latest"]).prices.items():
            quotes[split_market(key)] = quote
        for coin, body in raw["coins"].items():
            if body is not None:
                quotes[(coin, "AUD")] = LatestOne.model_validate(body).prices
        return quotes

    def normalise(self, validated: dict[tuple[str, str], Quote], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        bucket = bucket_start(now)
        rows, unpriced = [], []
        for (coin, quote), prices in sorted(validated.items()):
            if prices.last is None:
                unpriced.append(f"{coin}/{quote}")
                continue
            rows.append(
                {
                    "coin_type": coin,
                    "quote": quote,
                    "timestamp": bucket,
                    "bid": prices.bid,
                    "ask": prices.ask,
                    "last": prices.last,
                    "open": prices.last,
                    "high": prices.last,
                    "low": prices.last,
                    "volume": None,
                    "source": SOURCE_NAME,
                    "collected_at": now,
                }
            )
        detail: dict[str, Any] = {"markets": len(rows), "bucket": bucket.isoformat()}
        if unpriced:
            detail["unpriced"] = unpriced
        batch = Batch(PRICE_TABLE, rows, PRICE_KEY, POLL_RULES)
        return Normalised([batch], detail)

    def after_store(self, ctx: CollectContext, normalised: Normalised) -> None:
        if ctx.cache is not None:
            store_latest(
                ctx.cache, normalised.batches[0].rows, ttl=ctx.settings.market.latest_ttl_seconds
            )
