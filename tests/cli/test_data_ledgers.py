"""``omc data news / events / onchain`` and ``omc collect sources`` over a real database."""

from __future__ import annotations

import datetime as dt
import json

from omc.db import utcnow
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.glass.models import OnChainMetric
from omc.ledgers.human.models import NewsSentiment
from omc.ledgers.upsert import upsert


def seed(engine):
    now = utcnow().replace(microsecond=0)
    hour_ago = now - dt.timedelta(hours=1)
    old = now - dt.timedelta(days=30)
    with engine.begin() as connection:
        upsert(
            connection,
            NewsSentiment.__table__,
            [
                {"provider": "rss", "external_id": f"n{i}", "source": "CoinDesk", "title": title,
                 "url": None, "sentiment": label, "sentiment_score": score, "currencies": coins,
                 "published_at": when, "collected_at": now}
                for i, (title, label, score, coins, when) in enumerate([
                    ("Bitcoin surges", "positive", 0.6, ["BTC"], hour_ago),
                    ("Ether slumps", "negative", -0.4, ["ETH"], hour_ago),
                    ("Old BTC news", "neutral", 0.0, ["BTC"], old),
                ])
            ],
            keys=("provider", "external_id"),
        )  # fmt: skip
        upsert(
            connection,
            CatalystEvent.__table__,
            [
                {"source": "binance_listings", "external_id": "1", "event_type": "listing",
                 "title": "Binance Will List Foo (FOO)", "description": None, "url": None,
                 "impact_score": 8, "currencies": ["FOO"], "published_at": hour_ago,
                 "collected_at": now},
                {"source": "sec_edgar", "external_id": "0001-26-1", "event_type": "sec_filing",
                 "title": "8-K filed by Coinbase", "description": None, "url": None,
                 "impact_score": 7, "currencies": [], "published_at": hour_ago,
                 "collected_at": now},
            ],
            keys=("source", "external_id"),
        )  # fmt: skip
        upsert(
            connection,
            OnChainMetric.__table__,
            [
                {"asset": "ETH", "metric_name": "gas_price_gwei", "metric_value": 1.5,
                 "source": "onchain", "timestamp": hour_ago, "collected_at": now},
                {"asset": "BTC", "metric_name": "hash_rate", "metric_value": 1e21,
                 "source": "onchain", "timestamp": hour_ago, "collected_at": now},
            ],
            keys=("asset", "metric_name", "source", "timestamp"),
        )  # fmt: skip
    return hour_ago


def test_news_filters_by_coin_and_since(cli, engine, database_url):
    when = seed(engine)
    result = cli("data", "news", "--coin", "btc", "--json", env={"OMC_DATABASE_URL": database_url})
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(row["title"], row["sentiment"], row["published_at"]) for row in rows] == [
        ("Bitcoin surges", "positive", when.isoformat())
    ]
    table = cli("data", "news", env={"OMC_DATABASE_URL": database_url})
    assert table.exit_code == 0
    assert "Bitcoin surges" in table.stdout
    assert "Ether slumps" in table.stdout
    assert table.stdout.rstrip().endswith("2 items")


def test_events_by_type_and_onchain_by_asset(cli, engine, database_url):
    seed(engine)
    env = {"OMC_DATABASE_URL": database_url}
    result = cli("data", "events", "--type", "listing", "--json", env=env)
    assert [row["title"] for row in json.loads(result.stdout)] == ["Binance Will List Foo (FOO)"]
    every = cli("data", "events", env=env)
    assert every.stdout.rstrip().endswith("2 events")
    onchain = cli("data", "onchain", "eth", "--json", env=env)
    rows = json.loads(onchain.stdout)
    assert [(row["asset"], row["metric_name"], row["metric_value"]) for row in rows] == [
        ("ETH", "gas_price_gwei", 1.5)
    ]


def test_a_bad_since_is_a_one_line_usage_error(cli, engine, database_url):
    result = cli("data", "events", "--since", "soon", env={"OMC_DATABASE_URL": database_url})
    assert result.exit_code == 64
    assert result.stderr == (
        "omc: error: invalid --since 'soon': use a duration like 24h, 7d, 2w or an ISO date\n"
    )


def test_collect_sources_lists_every_source_of_every_ledger(cli, engine, database_url):
    result = cli("collect", "sources", "--json", env={"OMC_DATABASE_URL": database_url})
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [(row["ledger"], row["name"], row["configured"]) for row in rows] == [
        ("glass", "defillama", True),
        ("glass", "nansen", False),
        ("glass", "onchain", True),
        ("human", "cryptopanic", False),
        ("human", "reddit", True),
        ("human", "rss", True),
        ("catalyst", "binance_listings", True),
        ("catalyst", "coinspot_listings", True),
        ("catalyst", "sec_edgar_feed", False),
        ("catalyst", "sec_edgar_submissions", False),
        ("exchange", "coinspot", True),
    ]
    assert rows[1]["missing_settings"] == ["glass.nansen_api_key"]
    assert rows[8]["interval_seconds"] == 15
