"""Backfill through real HTTP against a loopback server (the Binance body is a real response)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa
from werkzeug import Response

from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.history.backfill import backfill_binance, backfill_coingecko
from omc.ledgers.http import MalformedResponse

TABLE = PriceBar.__table__
FIXTURE = "fixtures/binance/api_v3_klines_USDT-pair_1m_limit500_2024-11-16.json"


def count(engine):
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(TABLE)).scalar_one()


def test_binance_pages_by_start_time_and_aggregates_minutes(
    engine, httpserver, make_ctx, shared_dir
):
    klines = json.loads((shared_dir / FIXTURE).read_text())

    def page(request):
        start = int(request.args["startTime"])
        limit = int(request.args["limit"])
        rows = [row for row in klines if row[0] >= start][:limit]
        return Response(json.dumps(rows), content_type="application/json")

    httpserver.expect_request("/api/v3/klines").respond_with_handler(page)
    ctx = make_ctx(binance_url=httpserver.url_for("/"))
    now = lambda: dt.datetime(2024, 11, 16, 17, 30, tzinfo=dt.UTC)  # noqa: E731
    start = dt.datetime.fromtimestamp(klines[0][0] / 1000, dt.UTC)
    days = 1
    assert now() - dt.timedelta(days=days) < start
    result = backfill_binance(engine, ctx, "xyz", days, interval="1m", page_size=200, now=now)
    assert result.requests == 3  # 200 + 200 + 100 rows
    assert (result.first, result.last) == ("2024-11-16T09:05:00+00:00", "2024-11-16T17:25:00+00:00")
    assert result.bars == count(engine) == 101
    again = backfill_binance(engine, ctx, "XYZ", days, interval="1m", page_size=200, now=now)
    assert (again.inserted, again.updated) == (0, 0)
    assert httpserver.log[0][0].args["symbol"] == "XYZUSDT"


def test_binance_malformed_page_stores_nothing(engine, httpserver, make_ctx):
    httpserver.expect_request("/api/v3/klines").respond_with_json({"code": 0, "msg": "?"})
    ctx = make_ctx(binance_url=httpserver.url_for("/"))
    with pytest.raises(MalformedResponse):
        backfill_binance(engine, ctx, "BTC", 1)
    assert count(engine) == 0


def test_coingecko_snapshots_become_bars_with_the_quote_currency(engine, httpserver, make_ctx):
    base = 1_736_000_000_000  # ms
    body = {
        "prices": [[base + i * 3_600_000 + 1234, 100.0 + i] for i in range(48)],
        "market_caps": [],
        "total_volumes": [[base, 5.0]],
    }
    httpserver.expect_request(
        "/api/v3/coins/bitcoin/market_chart",
        query_string={"vs_currency": "aud", "days": "2"},
        headers={"x-cg-demo-api-key": "demo-key"},
    ).respond_with_json(body)
    ctx = make_ctx(coingecko_url=httpserver.url_for("/api/v3"), coingecko_api_key="demo-key")
    result = backfill_coingecko(engine, ctx, "btc", 2, quote="aud")
    assert (result.bars, result.inserted, result.quote) == (48, 48, "AUD")
    with engine.connect() as connection:
        row = connection.execute(sa.select(TABLE).order_by(TABLE.c.timestamp)).first()
    assert (row.coin_type, row.quote, float(row.last), row.source) == (
        "BTC",
        "AUD",
        100.0,
        "coingecko",
    )
    assert row.timestamp.minute % 5 == 0


def test_coingecko_rate_limit_then_success(engine, httpserver, make_ctx, sleeps):
    path = "/api/v3/coins/ethereum/market_chart"
    httpserver.expect_ordered_request(path).respond_with_data(
        "", status=429, headers={"Retry-After": "61"}
    )
    httpserver.expect_ordered_request(path).respond_with_json(
        {"prices": [[1_736_000_000_000, 3000.5]]}
    )
    ctx = make_ctx(coingecko_url=httpserver.url_for("/api/v3"))
    result = backfill_coingecko(engine, ctx, "ETH", 1)
    assert sleeps == [60.0]  # capped at the policy's max delay
    assert result.inserted == 1
