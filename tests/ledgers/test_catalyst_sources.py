"""Catalyst sources: SEC EDGAR (feed and the recorded submissions JSON), CoinSpot listing diffs
kept across restarts, Binance listing announcements; events found by the data tool."""

from __future__ import annotations

import pytest

from omc.ledgers.catalyst.binance_listings import BinanceListings, tickers
from omc.ledgers.catalyst.coinspot_listings import CoinSpotListings
from omc.ledgers.catalyst.edgar import impact_score
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.catalyst.sec_feed import SecCurrentFilings
from omc.ledgers.catalyst.sec_submissions import SecSubmissions
from omc.ledgers.runner import run_source
from omc.ledgers.tools import fetch_catalyst_events
from tests.ledgers.conftest import T0, table_rows
from tests.ledgers.responses import catalyst
from tests.ledgers.specs import SEC_CONTACT, sec_submissions, serve_sec_feed

EVENTS = CatalystEvent.__table__


def sec_settings(server, **extra):
    return {
        "catalyst": {
            "edgar_url": server.url_for("/sec"),
            "edgar_data_url": server.url_for("/data"),
            "edgar_contact": SEC_CONTACT,
            **extra,
        }
    }


def test_feed_keeps_crypto_filings_once_per_accession_with_impact_by_form(
    engine, httpserver, ledger_ctx
):
    entries = catalyst.COINBASE_8K + catalyst.INSIDER_4 + catalyst.ETF_S1 + catalyst.UNRELATED
    serve_sec_feed(httpserver, entries)
    result = run_source(engine, ledger_ctx(**sec_settings(httpserver)), SecCurrentFilings())
    assert result.status == "ok"
    assert (result.detail["entries"], result.detail["relevant_filings"]) == (6, 3)
    request = httpserver.log[0][0]
    assert request.headers["User-Agent"] == f"omc collector {SEC_CONTACT}"
    assert request.args["action"] == "getcurrent"
    with engine.connect() as connection:
        events = fetch_catalyst_events(connection, T0.replace(hour=0), T0, ["sec_filing"])
    assert [(e["title"], e["impact_score"], e["currencies"]) for e in events] == [
        ("8-K filed by Coinbase Global, Inc.", 7, []),
        ("4 filed by Coinbase Global, Inc.", 3, []),
        ("S-1/A filed by Canary XRP ETF", 7, []),
    ]
    assert events[0]["published_at"] == "2026-01-09T14:05:12+00:00"
    assert events[0]["detected_at"] == "2026-01-09T14:31:10+00:00"
    assert "ARMSTRONG BRIAN (Reporting)" in events[1]["description"]


def test_feed_without_a_contact_address_is_not_configured(engine, ledger_ctx):
    result = run_source(engine, ledger_ctx(), SecCurrentFilings())
    assert (result.status, result.error) == (
        "skipped",
        "not configured: set catalyst.edgar_contact",
    )


@pytest.mark.parametrize(
    ("form", "score"),
    [("8-K", 7), ("8-K/A", 6), ("S-1", 8), ("424B3", 5), ("4", 3), ("SC 13D", 6), ("N-CSR", 1)],
)
def test_impact_by_form_type(form, score):
    assert impact_score(form) == score


def test_submissions_of_the_watch_list_from_the_recorded_json_share_keys_with_the_feed(
    engine, httpserver, ledger_ctx, shared_dir, clock
):
    body = sec_submissions(shared_dir)
    httpserver.expect_request("/data/submissions/CIK0000717423.json").respond_with_json(body)
    httpserver.expect_request("/data/submissions/CIK0000000001.json").respond_with_data(
        "", status=404
    )
    settings = sec_settings(
        httpserver, edgar_watch_ciks=["717423", "1"], edgar_submissions_recent=5
    )
    result = run_source(engine, ledger_ctx(**settings), SecSubmissions())
    assert (result.status, result.rows_inserted) == ("ok", 5)
    assert result.detail["unknown_ciks"] == ["0000000001"]
    recent = body["filings"]["recent"]
    stored = {row.external_id: row for row in table_rows(engine, EVENTS)}
    newest = stored[recent["accessionNumber"][0]]
    assert newest.title == f"{recent['form'][0]} filed by MURPHY OIL CORP"
    assert newest.url.endswith(recent["primaryDocument"][0])
    assert newest.published_at.isoformat().startswith(recent["acceptanceDateTime"][0][:19])
    # the feed later shows the same accession: still one event, detected when first seen
    accession = recent["accessionNumber"][0]
    entry = catalyst.edgar_entry(
        recent["form"][0], "MURPHY OIL CORP", "0000717423", "Filer", accession,
        "2026-01-09T09:40:00-05:00",
    )  # fmt: skip
    serve_sec_feed(httpserver, [entry])
    clock.advance(minutes=5)
    again = run_source(engine, ledger_ctx(**settings), SecCurrentFilings())
    assert (again.status, again.rows_inserted) == ("ok", 0)
    assert str(table_rows(engine, EVENTS)[0].collected_at) == "2026-01-09 14:31:10+00:00"


def coinspot_latest(server, coins):
    server.clear()
    prices = {coin: {"bid": "1", "ask": "2", "last": "1.5"} for coin in coins}
    server.expect_request("/pubapi/v2/latest").respond_with_json({"status": "ok", "prices": prices})


def test_coinspot_listing_diff_starts_with_a_baseline_and_survives_restarts(
    engine, httpserver, ledger_ctx, clock
):
    settings = {"market": {"coinspot_url": httpserver.url_for("/pubapi/v2")}}
    coinspot_latest(httpserver, ["btc", "eth", "btc_usdt"])
    first = run_source(engine, ledger_ctx(**settings), CoinSpotListings())
    assert (first.detail["baseline"], first.detail["new_coins"]) == (True, [])
    assert table_rows(engine, EVENTS) == []
    coinspot_latest(httpserver, ["btc", "eth", "btc_usdt", "wif"])
    clock.advance(minutes=5)
    second = run_source(engine, ledger_ctx(**settings), CoinSpotListings())  # a "restart"
    assert second.detail["new_coins"] == ["WIF"]
    clock.advance(minutes=5)
    third = run_source(engine, ledger_ctx(**settings), CoinSpotListings())
    assert (third.detail["new_coins"], third.rows_inserted) == ([], 0)
    with engine.connect() as connection:
        events = fetch_catalyst_events(connection, T0, T0.replace(hour=23), ["listing"], ["wif"])
    assert [(e["source"], e["currencies"], e["impact_score"]) for e in events] == [
        ("coinspot_listings", ["WIF"], 7)
    ]


def test_binance_titles_give_tickers_in_either_answer_shape(engine, httpserver, ledger_ctx):
    path = "/bn/bapi/composite/v1/public/cms/article/list/query"
    httpserver.expect_oneshot_request(path).respond_with_json(catalyst.BINANCE_ARTICLES)
    httpserver.expect_oneshot_request(path).respond_with_json(catalyst.BINANCE_CATALOGS)
    ctx = ledger_ctx(catalyst={"binance_url": httpserver.url_for("/bn")})
    assert run_source(engine, ctx, BinanceListings()).rows_inserted == 2
    assert run_source(engine, ctx, BinanceListings()).rows_inserted == 1
    request = httpserver.log[0][0]
    assert (request.args["catalogId"], request.headers["User-Agent"][:11]) == ("48", "Mozilla/5.0")
    rows = {row.external_id: row for row in table_rows(engine, EVENTS)}
    rgt = rows["72789"]
    assert (rgt.event_type, rgt.currencies, rgt.impact_score) == ("listing", ["RGT"], 8)
    assert str(rgt.published_at) == "2026-01-09 10:00:00+00:00"
    assert rows["72790"].currencies == ["JUP", "PYTH"]
    assert rows["80001"].currencies == ["FOO"]


def test_tickers_are_parsed_from_listing_titles():
    assert tickers("Binance Will List Rari Governance Token (RGT)") == ["RGT"]
    assert tickers("Binance Will List Pepe (PEPE) and Floki (FLOKI)") == ["PEPE", "FLOKI"]
    assert tickers("Notice on New Trading Pairs") == []
