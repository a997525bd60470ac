"""The agents' data tools on both databases: keys, point in time, degradation, isolation."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest

from omc.core.users import get_or_create_user
from omc.ledgers import tools
from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.exchange.models import Order, Position, PriceBar
from omc.ledgers.glass.models import OnChainMetric, SmartMoneyFlow
from omc.ledgers.human.models import NewsSentiment, SocialSentiment

T = dt.datetime(2026, 1, 9, 12, 0, tzinfo=dt.UTC)


def make_price_rows(coin="BTC", count=12, quote="AUD"):
    return [
        PriceBar(
            coin_type=coin,
            quote=quote,
            timestamp=T + dt.timedelta(minutes=5 * i),
            bid=Decimal(100 + i),
            ask=Decimal(101 + i),
            last=Decimal("100.5") + i,
            source="test",
            collected_at=T + dt.timedelta(minutes=5 * i + 1),
        )
        for i in range(count)
    ]


@pytest.fixture
def prices(session):
    session.add_all(make_price_rows() + make_price_rows("ETH", 3))
    session.flush()
    return session


def test_fetch_price_data_returns_the_seed_keys_oldest_first(prices):
    rows = tools.fetch_price_data(prices, "btc", T, T + dt.timedelta(minutes=10))
    assert rows == [
        {
            "timestamp": (T + dt.timedelta(minutes=5 * i)).isoformat(),
            "coin_type": "BTC",
            "quote": "AUD",
            "bid": 100.0 + i,
            "ask": 101.0 + i,
            "last": 100.5 + i,
        }
        for i in range(3)
    ]


def test_as_of_hides_rows_collected_later(prices):
    rows = tools.fetch_price_data(prices, "BTC", T, as_of=T + dt.timedelta(minutes=10))
    assert len(rows) == 2
    assert tools.get_available_coins(prices, as_of=T) == []
    assert tools.get_available_coins(prices) == ["BTC", "ETH"]


def test_bad_values_degrade_to_empty_and_reversed_naive_ranges_work(prices):
    naive_end, naive_start = (
        T.replace(tzinfo=None),
        (T + dt.timedelta(minutes=10)).replace(tzinfo=None),
    )
    assert len(tools.fetch_price_data(prices, "BTC", naive_start, naive_end)) == 3
    assert tools.fetch_price_data(prices, "NOPE", T) == []
    assert tools.fetch_price_data(prices, "BTC", "not a date") == []
    assert tools.fetch_price_data(prices, None, T) == []  # type: ignore[arg-type]
    assert tools.fetch_order_history(prices, "not-a-uuid") == []
    assert tools.get_data_statistics(prices, as_of="yesterday") == {}


def test_statistics_cover_every_ledger(prices):
    report = tools.get_data_statistics(prices, "btc")
    assert report["price_data_5min"]["rows"] == 12
    assert report["price_data_5min"]["coins"] == ["BTC"]
    assert report["price_data_5min"]["first"] == T.isoformat()
    assert set(report) == {
        "price_data_5min",
        "on_chain_metrics",
        "protocol_fundamentals",
        "smart_money_flow",
        "news_sentiment",
        "social_sentiment",
        "catalyst_events",
    }
    assert report["news_sentiment"] == {"rows": 0, "first": None, "last": None}


def test_glass_human_catalyst_tools_filter_and_respect_as_of(session):
    later = T + dt.timedelta(hours=2)
    session.add_all(
        [
            OnChainMetric(asset="ETH", metric_name="active_addresses", metric_value=5.0,
                          source="t", timestamp=T, collected_at=T),
            OnChainMetric(asset="ETH", metric_name="hash_rate", metric_value=7e20,
                          source="t", timestamp=T, collected_at=later),
            SmartMoneyFlow(token="ETH", net_flow_usd=2500000.75, buying_wallet_count=2,
                           selling_wallet_count=1, buying_wallets=["0x1", "0x2"],
                           selling_wallets=["0x3"], timestamp=T, collected_at=T),
            NewsSentiment(provider="rss", external_id="a", source="CoinDesk", title="BTC up",
                          sentiment="positive", sentiment_score=0.8, currencies=["BTC"],
                          published_at=T, collected_at=T),
            NewsSentiment(provider="rss", external_id="b", source="CoinDesk", title="ETH",
                          currencies=["ETH"], published_at=T, collected_at=T),
            SocialSentiment(platform="reddit", external_id="t3_x", content="btc!", score=5,
                            currencies=["btc"], posted_at=T, collected_at=T),
            CatalystEvent(source="sec", external_id="0001", event_type="sec_filing",
                          title="8-K", impact_score=7, currencies=["COIN"],
                          published_at=T, collected_at=later),
        ]
    )  # fmt: skip
    session.flush()
    start = T - dt.timedelta(days=1)
    metrics = tools.fetch_on_chain_metrics(session, "eth", start, metric_names=["hash_rate"])
    assert [m["metric_value"] for m in metrics] == [7e20]
    assert tools.fetch_on_chain_metrics(session, "eth", start, as_of=T)[0]["metric_name"] == (
        "active_addresses"
    )
    (flow,) = tools.fetch_smart_money_flows(session, "Eth", start)
    assert (flow["net_flow_usd"], flow["buying_wallets"]) == (2500000.75, ["0x1", "0x2"])
    sentiment = tools.fetch_sentiment_data(session, start, platform="REDDIT", currencies=["btc"])
    assert [n["title"] for n in sentiment["news_sentiment"]] == ["BTC up"]
    assert [s["content"] for s in sentiment["social_sentiment"]] == ["btc!"]
    events = tools.fetch_catalyst_events(session, start, event_types=["SEC_FILING"])
    assert events[0]["impact_score"] == 7
    assert events[0]["detected_at"] == later.isoformat()
    assert tools.fetch_catalyst_events(session, start, as_of=T) == []


def test_orders_and_positions_are_isolated_per_user(session):
    alice = get_or_create_user(session, "alice").id
    bob = get_or_create_user(session, "bob").id
    now = dt.datetime.now(dt.UTC)
    for user, side in ((alice, "buy"), (bob, "sell")):
        session.add(
            Order(user_id=user, client_order_id=uuid.uuid4().hex, coin_type="BTC", side=side,
                  status="filled", quantity=Decimal("0.5"), price=Decimal(100), created_at=now)
        )  # fmt: skip
        session.add(
            Position(user_id=user, coin_type="BTC", quantity=Decimal(1),
                     average_price=Decimal(100), total_cost=Decimal(100))
        )  # fmt: skip
    session.flush()
    orders = tools.fetch_order_history(session, alice, coin_type="btc", status="FILLED")
    assert [(o["side"], o["quantity"]) for o in orders] == [("buy", Decimal("0.5"))]
    assert [o["side"] for o in tools.fetch_order_history(session, str(bob))] == ["sell"]
    assert tools.fetch_order_history(session, uuid.uuid4()) == []
    positions = tools.fetch_user_positions(session, alice)
    assert [(p["coin_type"], p["total_cost"]) for p in positions] == [("BTC", Decimal(100))]
    assert tools.fetch_user_positions(session, alice, as_of=now - dt.timedelta(days=1)) == []
