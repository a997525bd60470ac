"""CoinSpot prices through a loopback server: bars, bid/ask orientation, NaN, faults, cache.

CoinSpot has no recorded response anywhere public (see shared/fixtures/SOURCES.md); the bodies
here follow the documented v2 shape: prices as strings, ``coin`` and ``coin_market`` keys.
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa

from omc.ledgers.exchange.coinspot import CoinSpotPrices
from omc.ledgers.exchange.latest import latest_prices
from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.runner import run_source

TABLE = PriceBar.__table__
LATEST = {
    "status": "ok",
    "prices": {
        "btc": {"bid": "151000.01", "ask": "151900.5", "last": "151450"},
        "eth": {"bid": "5201.1", "ask": "5230", "last": "5210.4"},
        "rhoc": {"bid": "NaN", "ask": "NaN", "last": "NaN"},
        "powr": {"bid": "NaN", "ask": "0.31", "last": "0.3"},
        "btc_usdt": {"bid": "99000", "ask": "99100", "last": "99050"},
    },
}


def serve(httpserver, body=LATEST, coins=None):
    httpserver.expect_request("/pubapi/v2/latest").respond_with_json(body)
    for coin, answer in (coins or {}).items():
        status = 404 if answer is None else 200
        payload = answer or {"status": "error", "message": "Coin not found"}
        httpserver.expect_request(f"/pubapi/v2/latest/{coin}").respond_with_json(
            payload, status=status
        )


def ctx_for(httpserver, make_ctx, watchlist=(), **kwargs):
    return make_ctx(
        coinspot_url=httpserver.url_for("/pubapi/v2"), watchlist=list(watchlist), **kwargs
    )


def bars(engine):
    with engine.connect() as connection:
        query = sa.select(TABLE).order_by(TABLE.c.quote, TABLE.c.coin_type)
        return {(row.coin_type, row.quote): row for row in connection.execute(query)}


def test_bid_is_the_highest_buy_offer_and_ask_the_lowest_sell_offer(engine, httpserver, make_ctx):
    serve(httpserver)
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    assert result.status == "ok"
    btc = bars(engine)[("BTC", "AUD")]
    assert (btc.bid, btc.ask, btc.last) == (
        Decimal("151000.01"),
        Decimal("151900.5"),
        Decimal("151450"),
    )
    assert btc.bid < btc.last < btc.ask


def test_symbols_are_upper_case_markets_split_and_nan_is_unknown(engine, httpserver, make_ctx):
    serve(httpserver)
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    stored = bars(engine)
    assert sorted(stored) == [("BTC", "AUD"), ("BTC", "USDT"), ("ETH", "AUD"), ("POWR", "AUD")]
    assert stored[("POWR", "AUD")].bid is None
    assert stored[("POWR", "AUD")].ask == Decimal("0.31")
    assert result.detail["unpriced"] == ["RHOC/AUD"]
    assert (result.rows_inserted, result.rows_updated) == (4, 0)


def test_polls_in_one_bucket_build_one_bar_and_the_next_bucket_a_new_one(
    engine, httpserver, make_ctx, clock
):
    ctx = ctx_for(httpserver, make_ctx)
    for last in ("100", "104", "97", "101"):
        httpserver.clear()
        serve(
            httpserver, {"status": "ok", "prices": {"btc": {"bid": "1", "ask": "2", "last": last}}}
        )
        run_source(engine, ctx, CoinSpotPrices())
        clock.advance(seconds=60)
    bar = bars(engine)[("BTC", "AUD")]
    assert str(bar.timestamp) == "2026-01-09 14:30:00+00:00"
    assert (bar.open, bar.high, bar.low, bar.last) == tuple(
        Decimal(v) for v in ("100", "104", "97", "101")
    )
    httpserver.clear()
    serve(httpserver, {"status": "ok", "prices": {"btc": {"bid": "1", "ask": "2", "last": "99"}}})
    clock.advance(seconds=60)  # 14:36:10: the next bucket
    result = run_source(engine, ctx, CoinSpotPrices())
    assert (result.rows_inserted, result.rows_updated) == (1, 0)
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar() == 2


def test_watchlist_coins_missing_from_latest_are_fetched_one_by_one(engine, httpserver, make_ctx):
    one = {"status": "ok", "message": "ok", "prices": {"bid": "2.1", "ask": "2.2", "last": "2.15"}}
    serve(httpserver, coins={"xrp": one, "nope": None})
    ctx = ctx_for(httpserver, make_ctx, watchlist=["btc", "XRP", "NOPE"])
    result = run_source(engine, ctx, CoinSpotPrices())
    assert result.status == "ok"
    assert bars(engine)[("XRP", "AUD")].last == Decimal("2.15")
    assert "/pubapi/v2/latest/btc" not in [request.path for request, _ in httpserver.log]


def test_malformed_body_stores_nothing_and_records_failure(engine, httpserver, make_ctx):
    body = {"status": "ok", "prices": {"btc": {"bid": "1", "ask": "2", "last": "1"}, "eth": []}}
    serve(httpserver, body)
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    assert result.status == "failed"
    assert "malformed response at prices.eth" in result.error
    assert bars(engine) == {}


def test_error_status_body_is_rejected(engine, httpserver, make_ctx):
    serve(httpserver, {"status": "error", "message": "maintenance"})
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    assert result.status == "failed"
    assert bars(engine) == {}


def test_empty_price_list_is_an_empty_run(engine, httpserver, make_ctx):
    serve(httpserver, {"status": "ok", "prices": {}})
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    assert (result.status, result.rows_inserted) == ("empty", 0)


def test_500_then_success_after_backoff_loses_and_duplicates_nothing(
    engine, httpserver, make_ctx, sleeps
):
    httpserver.expect_ordered_request("/pubapi/v2/latest").respond_with_data("", status=502)
    httpserver.expect_ordered_request("/pubapi/v2/latest").respond_with_data(
        "", status=429, headers={"Retry-After": "3"}
    )
    httpserver.expect_ordered_request("/pubapi/v2/latest").respond_with_json(LATEST)
    result = run_source(engine, ctx_for(httpserver, make_ctx), CoinSpotPrices())
    assert result.status == "ok"
    assert sleeps == [1.0, 3.0]
    assert len(bars(engine)) == 4


def test_latest_snapshot_goes_to_the_cache_with_its_age(engine, httpserver, make_ctx, clock):
    serve(httpserver)
    ctx = ctx_for(httpserver, make_ctx)
    run_source(engine, ctx, CoinSpotPrices())
    clock.advance(seconds=42)
    rows = latest_prices(ctx.cache, None, ["btc"], now=clock.now)
    assert rows == [
        {
            "coin_type": "BTC",
            "quote": "AUD",
            "bid": 151000.01,
            "ask": 151900.5,
            "last": 151450.0,
            "source": "coinspot",
            "fetched_at": "2026-01-09T14:31:10+00:00",
            "from": "cache",
            "age_seconds": 42.0,
        }
    ]
    from_database = latest_prices(None, engine, None, now=clock.now)
    assert [(row["coin_type"], row["from"]) for row in from_database] == [
        ("BTC", "database"),
        ("ETH", "database"),
        ("POWR", "database"),
    ]


def test_latest_snapshot_in_redis(engine, httpserver, make_ctx, redis_url, redis_prefix):
    from omc.cache import RedisCache, redis_client

    serve(httpserver)
    cache = RedisCache(redis_client(redis_url), prefix=redis_prefix)
    ctx = ctx_for(httpserver, make_ctx, cache=cache)
    run_source(engine, ctx, CoinSpotPrices())
    assert cache.get("prices:latest:AUD:ETH")["last"] == 5210.4
