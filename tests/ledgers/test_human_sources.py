"""Human sources: RSS items, CryptoPanic posts and Reddit posts (the recorded praw cassette)
with sentiment, coins, both times, and the data tool's keys."""

from __future__ import annotations

import logging

from omc.ledgers.human.cryptopanic import CryptoPanic
from omc.ledgers.human.models import NewsSentiment, SocialSentiment
from omc.ledgers.human.reddit import RedditPosts
from omc.ledgers.human.rss import NewsFeeds
from omc.ledgers.runner import run_source
from omc.ledgers.tools import fetch_sentiment_data
from tests.ledgers.conftest import T0, table_rows
from tests.ledgers.responses import human
from tests.ledgers.specs import reddit_listing, rss_settings, serve_rss


def test_rss_items_keep_publication_time_sentiment_and_coins(engine, httpserver, ledger_ctx):
    serve_rss(httpserver)
    result = run_source(engine, ledger_ctx(**rss_settings(httpserver)), NewsFeeds())
    assert (result.status, result.rows_inserted) == ("ok", 3)
    rows = {row.title: row for row in table_rows(engine, NewsSentiment.__table__)}
    surge = rows["Bitcoin Surges to Record High as ETF Inflows Soar"]
    assert (surge.source, surge.sentiment, surge.currencies) == ("CoinDesk", "positive", ["BTC"])
    assert surge.external_id == "8f7c1f9e-3d2a-4c1b-9a55-0c8e0e1d2b11"
    assert str(surge.published_at) == "2026-01-09 10:00:00+00:00"
    assert str(surge.collected_at) == "2026-01-09 14:31:10+00:00"
    hack = rows["Exchange Hacked, $40M in Ether Drained"]
    assert (hack.sentiment, hack.currencies) == ("negative", ["ETH"])
    solana = rows["Solana developers ship network upgrade"]
    assert solana.external_id == "https://cointelegraph.com/news/solana-upgrade"
    assert solana.currencies == ["SOL"]


def test_one_feed_failing_keeps_the_others(engine, httpserver, ledger_ctx):
    serve_rss(httpserver)
    settings = rss_settings(httpserver)
    settings["human"]["rss_feeds"]["Decrypt"] = httpserver.url_for("/feeds/gone")
    httpserver.expect_request("/feeds/gone").respond_with_data("", status=404)
    result = run_source(engine, ledger_ctx(**settings), NewsFeeds())
    assert (result.status, result.rows_inserted) == ("ok", 3)
    assert result.detail["feed_problems"] == {
        "Decrypt": "rss Decrypt /feeds/gone: HTTP 404: NOT FOUND"
    }


def test_cryptopanic_tags_votes_and_the_token_kept_out_of_messages(
    engine, httpserver, ledger_ctx, caplog
):
    httpserver.expect_request(
        "/cp/api/free/v2/posts/",
        query_string={"auth_token": "cp-SECRET-456", "public": "true", "kind": "news"},
    ).respond_with_json(human.CRYPTOPANIC)
    settings = {
        "cryptopanic_url": httpserver.url_for("/cp"),
        "cryptopanic_path": "/api/free/v2/posts/",
        "cryptopanic_token": "cp-SECRET-456",
    }
    with caplog.at_level(logging.DEBUG):
        result = run_source(engine, ledger_ctx(human=settings), CryptoPanic())
    assert result.status == "ok", result.error
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("werkzeug")]
    assert not [line for line in ours if "cp-SECRET-456" in line]  # the test server's log has it
    with engine.connect() as connection:
        news = fetch_sentiment_data(connection, T0.replace(hour=0), T0, currencies=["eth"])
    assert news["news_sentiment"] == [
        {
            "title": "SEC approves spot Ether ETFs in landmark decision",
            "source": "Cointelegraph",
            "url": "https://cryptopanic.com/news/21000001/SEC-approves-spot-Ether-ETFs",
            "published_at": "2026-01-09T08:00:00+00:00",
            "sentiment": "positive",
            "sentiment_score": news["news_sentiment"][0]["sentiment_score"],
            "currencies": ["ETH"],
            "collected_at": "2026-01-09T14:31:10+00:00",
        }
    ]
    assert news["news_sentiment"][0]["sentiment_score"] > 0.5
    doge = [row for row in table_rows(engine, NewsSentiment.__table__) if "DOGE" in row.currencies]
    assert doge[0].sentiment == "negative"
    httpserver.clear()
    httpserver.expect_request("/cp/api/free/v2/posts/").respond_with_json(
        {"status": "Api key is invalid"}, status=403
    )
    result = run_source(engine, ledger_ctx(human=settings), CryptoPanic())
    assert result.error == "cryptopanic /api/free/v2/posts/: HTTP 403: Api key is invalid"


def test_cryptopanic_without_a_token_is_not_configured(engine, ledger_ctx):
    result = run_source(engine, ledger_ctx(), CryptoPanic())
    assert result.error == "not configured: set human.cryptopanic_token"


def reddit_settings(server, **extra):
    return {
        "human": {
            "reddit_url": server.url_for("/www"),
            "reddit_oauth_url": server.url_for("/oauth"),
            "subreddits": ["askreddit"],
            **extra,
        }
    }


def test_reddit_app_only_oauth_with_the_recorded_cassette(
    engine, httpserver, ledger_ctx, shared_dir
):
    token, listing = reddit_listing(shared_dir)
    httpserver.expect_request(
        "/www/api/v1/access_token", method="POST", data="grant_type=client_credentials"
    ).respond_with_json(token)
    httpserver.expect_request(
        "/oauth/r/askreddit/new", query_string={"limit": "100", "raw_json": "1"}
    ).respond_with_json(listing)
    settings = reddit_settings(
        httpserver, reddit_client_id="app-id", reddit_client_secret="app-SECRET"
    )
    result = run_source(engine, ledger_ctx(**settings), RedditPosts())
    assert (result.status, result.detail["mode"], result.rows_inserted) == ("ok", "oauth", 100)
    token_request, listing_request = (request for request, _ in httpserver.log)
    assert token_request.authorization.username == "app-id"
    assert listing_request.headers["Authorization"] == "bearer <ACCESS_TOKEN>"
    assert listing_request.headers["User-Agent"].startswith("linux:omc:")
    first = listing["data"]["children"][0]["data"]
    stored = {row.external_id: row for row in table_rows(engine, SocialSentiment.__table__)}
    row = stored[first["name"]]
    assert (row.platform, row.community, row.score) == ("reddit", "AskReddit", first["score"])
    assert row.posted_at.timestamp() == first["created_utc"]
    assert row.sentiment in ("positive", "negative", "neutral")


def test_reddit_without_credentials_reads_the_public_listing(
    engine, httpserver, ledger_ctx, shared_dir
):
    _, listing = reddit_listing(shared_dir)
    httpserver.expect_request("/www/r/askreddit/new.json").respond_with_json(listing)
    result = run_source(engine, ledger_ctx(**reddit_settings(httpserver)), RedditPosts())
    assert (result.status, result.detail["mode"]) == ("ok", "public")
    again = run_source(engine, ledger_ctx(**reddit_settings(httpserver)), RedditPosts())
    assert (again.rows_inserted, again.rows_updated) == (0, 0)
    with engine.connect() as connection:
        social = fetch_sentiment_data(connection, "2016-01-01", "2016-12-31", platform="reddit")
    assert len(social["social_sentiment"]) == 100
    assert sorted(social["social_sentiment"][0]) == [
        "collected_at",
        "comments",
        "content",
        "currencies",
        "platform",
        "posted_at",
        "score",
        "sentiment",
        "sentiment_score",
    ]
