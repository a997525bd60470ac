"""``omc data backfill``: fetch history from CoinGecko or Binance and store it like an import.

CoinGecko ``/coins/{id}/market_chart`` returns price snapshots whose granularity depends on
``days`` (1 day → 5-minutely, 2–90 → hourly, more → daily); each snapshot becomes a bar at its
5-minute bucket. Binance ``/api/v3/klines`` pages 1000 rows a call from ``startTime``; bars
finer than 5 minutes are aggregated.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.engine import Engine

from omc.db import utcnow
from omc.errors import UsageProblem
from omc.ledgers.history.importer import check_symbol
from omc.ledgers.history.layouts import epoch_to_datetime, to_five_minute_bars
from omc.ledgers.history.store import prepare, write_bars
from omc.ledgers.http import MalformedResponse
from omc.ledgers.source import CollectContext

COINGECKO_IDS = {
    "BTC": "bitcoin", "ETH": "ethereum", "SOL": "solana", "XRP": "ripple", "ADA": "cardano",
    "DOGE": "dogecoin", "LTC": "litecoin", "DOT": "polkadot", "LINK": "chainlink",
    "AVAX": "avalanche-2", "TRX": "tron", "USDT": "tether", "BNB": "binancecoin",
}  # fmt: skip
BINANCE_PAGE = 1000
# The backfill is not a scheduled source, so it declares its secret here for `omc collect keys`.
SECRET_SETTINGS = ("market.coingecko_api_key",)


@dataclass
class BackfillResult:
    coin: str
    quote: str
    source: str
    days: int
    requests: int
    bars: int
    inserted: int
    updated: int
    first: str | None
    last: str | None


class MarketChart(BaseModel):
    prices: list[tuple[float, float | None]]
    total_volumes: list[tuple[float, float | None]] = []


Kline = tuple[int, str, str, str, str, str, int, str, int, str, str, str]


def _frame_from_chart(chart: MarketChart):
    import pandas as pd

    frame = pd.DataFrame(chart.prices, columns=["ms", "price"]).dropna()
    frame = frame[frame["price"] > 0]
    stamps = epoch_to_datetime(frame["ms"])
    bucket = stamps.dt.floor("5min")
    grouped = pd.DataFrame({"timestamp": bucket, "price": frame["price"].to_numpy()}).groupby(
        "timestamp", sort=True
    )["price"]
    out = pd.DataFrame(
        {
            "open": grouped.first(),
            "high": grouped.max(),
            "low": grouped.min(),
            "close": grouped.last(),
        }
    ).reset_index()
    out["volume"] = float("nan")  # market_chart volumes are rolling 24 h totals, not per bar
    return out


def backfill_coingecko(
    engine: Engine, ctx: CollectContext, coin: str, days: int, *, quote: str = "USD",
    coingecko_id: str | None = None,
) -> BackfillResult:  # fmt: skip
    coin, quote = check_symbol(coin), check_symbol(quote, "quote")
    identifier = coingecko_id or COINGECKO_IDS.get(coin)
    if identifier is None:
        raise UsageProblem(f"no CoinGecko id known for {coin}: pass --coingecko-id (e.g. bitcoin)")
    market = ctx.settings.market
    api_key = ctx.for_run("backfill coingecko").secret("market.coingecko_api_key")
    headers = {"x-cg-demo-api-key": api_key} if api_key else {}
    with ctx.http("coingecko", market.coingecko_url, requests_per_minute=30, headers=headers) as h:
        raw = h.get_json(
            f"/coins/{identifier}/market_chart", {"vs_currency": quote.lower(), "days": days}
        )
    try:
        chart = MarketChart.model_validate(raw)
    except ValidationError as error:
        raise MalformedResponse(
            f"coingecko: malformed market_chart response: {error.errors()[0]['msg']}"
        ) from None
    frame = _frame_from_chart(chart)
    seconds = 300 if days <= 1 else 3600 if days <= 90 else 86400
    return _store(engine, frame, coin, quote, "coingecko", seconds, days, requests=1)


def backfill_binance(
    engine: Engine, ctx: CollectContext, coin: str, days: int, *, quote: str = "USDT",
    interval: str = "5m", page_size: int = BINANCE_PAGE, now: Callable[[], dt.datetime] = utcnow,
) -> BackfillResult:  # fmt: skip
    import pandas as pd

    coin, quote = check_symbol(coin), check_symbol(quote, "quote")
    end_ms = int(now().timestamp() * 1000)
    start_ms = end_ms - days * 86_400_000
    rows: list[list[Any]] = []
    requests = 0
    with ctx.http("binance", ctx.settings.market.binance_url) as client:
        while start_ms < end_ms:
            page = client.get_json(
                "/api/v3/klines",
                {"symbol": f"{coin}{quote}", "interval": interval, "startTime": start_ms,
                 "endTime": end_ms, "limit": page_size},
            )  # fmt: skip
            requests += 1
            if not isinstance(page, list) or any(
                not isinstance(row, list) or len(row) < 6 for row in page
            ):
                raise MalformedResponse("binance: klines response is not a list of kline rows")
            if not page:
                break
            rows.extend(page)
            start_ms = int(page[-1][0]) + 1
            if len(page) < page_size:
                break
    frame = pd.DataFrame(
        [row[:6] for row in rows], columns=["ms", "open", "high", "low", "close", "volume"]
    )
    if frame.empty:
        return _store(engine, frame, coin, quote, "binance", 300, days, requests)
    try:
        for name in ("open", "high", "low", "close", "volume"):
            frame[name] = pd.to_numeric(frame[name], errors="raise")
    except (ValueError, TypeError):
        raise MalformedResponse("binance: a kline has a price that is not a number") from None
    frame["timestamp"] = epoch_to_datetime(frame.pop("ms"))
    frame = frame.drop_duplicates(subset="timestamp").sort_values("timestamp")
    bars, seconds = to_five_minute_bars(frame)
    return _store(engine, bars, coin, quote, "binance", seconds, days, requests)


def _store(engine, frame, coin, quote, source, seconds, days, requests) -> BackfillResult:  # type: ignore[no-untyped-def]
    if frame.empty:
        return BackfillResult(coin, quote, source, days, requests, 0, 0, 0, None, None)
    bars = prepare(frame, coin, quote, source, seconds)
    counts = write_bars(engine, bars)
    return BackfillResult(
        coin, quote, source, days, requests, len(bars), counts.inserted, counts.updated,
        bars["timestamp"].iloc[0].isoformat(), bars["timestamp"].iloc[-1].isoformat(),
    )  # fmt: skip
