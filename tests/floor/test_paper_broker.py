"""The paper broker fills at the real recorded bid/ask with CoinSpot's fee, refuses stale
prices and short balances, and keeps its account across restarts (a new broker object)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from omc.floor.accounts import reset_paper_account
from omc.floor.brokers import AccountRef, Broker, BrokerConfig, OrderRefused
from omc.floor.brokers.paper import PaperBroker
from omc.floor.brokers.prices import LatestPrices
from omc.ledgers.exchange.models import Order, Trade
from tests.floor.conftest import NOW, record_price

CONFIG = BrokerConfig(
    fee_rate=Decimal("0.01"),
    min_order_value=Decimal("5"),
    max_price_age_seconds=120,
    initial_cash=Decimal("10000"),
)


def make_broker(engine, user_id, cache, *, now=NOW, name="default"):
    return PaperBroker(
        engine,
        AccountRef(user_id, "paper", name),
        LatestPrices(cache, engine),
        config=CONFIG,
        clock=lambda: now,
    )


def test_paper_broker_is_a_broker(engine, user_id, cache):
    assert isinstance(make_broker(engine, user_id, cache), Broker)


def test_buy_fills_at_the_ask_and_sell_at_the_bid_with_the_fee(engine, user_id, cache):
    record_price(engine, cache, "BTC", "150000", "151000", "150500")
    broker = make_broker(engine, user_id, cache)

    bought = broker.buy("btc", Decimal("0.01"))
    assert (bought.status, bought.filled_quantity, bought.average_price, bought.fee) == (
        "filled",
        Decimal("0.01"),
        Decimal("151000"),
        Decimal("15.1"),
    )
    sold = broker.sell("BTC", Decimal("0.004"))
    assert (sold.status, sold.average_price, sold.fee) == (
        "filled",
        Decimal("150000"),
        Decimal("6"),
    )

    balances = {balance.currency: balance for balance in broker.balances()}
    # 10000 - (1510 + 15.10) + (600 - 6)
    assert balances["AUD"].total == Decimal("9068.90")
    assert balances["BTC"].total == Decimal("0.006")
    assert balances["BTC"].aud_value == Decimal("900")

    fills = broker.fills(bought.client_order_id)
    assert [(f.side, f.quantity, f.price, f.fee) for f in fills] == [
        ("buy", Decimal("0.01"), Decimal("151000"), Decimal("15.1"))
    ]


def test_buy_by_aud_amount_spends_that_amount_fee_included(engine, user_id, cache):
    record_price(engine, cache, "ETH", "4990", "5000", "4995")
    broker = make_broker(engine, user_id, cache)
    result = broker.buy("ETH", Decimal("202"), amount_type="aud")
    # 202 / 1.01 = 200 of coin value, 2 of fee, 0.04 ETH
    assert (result.filled_quantity, result.fee) == (Decimal("0.04"), Decimal("2"))
    cash = broker.balances()[0].total
    assert cash == Decimal("9798")


def test_stale_price_is_refused_and_nothing_is_written(engine, user_id, cache):
    record_price(engine, cache, "BTC", "150000", "151000", "150500", at=NOW)
    later = NOW + dt.timedelta(seconds=121)
    broker = make_broker(engine, user_id, cache, now=later)
    with pytest.raises(
        OrderRefused, match=r"121 s old, older than floor\.max_price_age_seconds"
    ) as error:
        broker.buy("BTC", Decimal("0.01"))
    assert error.value.code == "stale_price"
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(Order)).scalar() == 0


def test_database_price_is_used_when_the_cache_is_empty(engine, user_id, cache):
    record_price(engine, None, "SOL", "200", "201", "200.5")
    result = make_broker(engine, user_id, cache).buy("SOL", Decimal("1"))
    assert result.average_price == Decimal("201")


def test_short_cash_short_coin_and_minimum_are_refused(engine, user_id, cache):
    record_price(engine, cache, "BTC", "150000", "151000", "150500")
    broker = make_broker(engine, user_id, cache)
    with pytest.raises(OrderRefused) as error:
        broker.buy("BTC", Decimal("1"))
    assert error.value.code == "insufficient_cash"
    assert "costs 152510.00 AUD with the fee; paper account 'default' has 10000.00" in str(
        error.value
    )
    with pytest.raises(OrderRefused) as error:
        broker.sell("BTC", Decimal("0.001"))
    assert error.value.code == "insufficient_coin"
    with pytest.raises(OrderRefused) as error:
        broker.buy("BTC", Decimal("0.00001"))
    assert error.value.code == "below_minimum"
    with pytest.raises(OrderRefused) as error:
        broker.buy("NOPE", Decimal("1"))
    assert error.value.code == "no_price"


def test_restart_keeps_balances_and_accounts_are_separate(engine, user_id, cache):
    record_price(engine, cache, "BTC", "150000", "151000", "150500")
    make_broker(engine, user_id, cache).buy("BTC", Decimal("0.01"))
    again = make_broker(engine, user_id, cache)  # a new process would build a new broker
    balances = {b.currency: b.total for b in again.balances()}
    assert balances == {"AUD": Decimal("8474.9"), "BTC": Decimal("0.01")}
    other = make_broker(engine, user_id, cache, name="second")
    assert {b.currency: b.total for b in other.balances()} == {"AUD": Decimal("10000")}


def test_reset_starts_afresh_with_the_stated_balance(engine, user_id, cache):
    record_price(engine, cache, "BTC", "150000", "151000", "150500")
    broker = make_broker(engine, user_id, cache)
    broker.buy("BTC", Decimal("0.01"))
    reset_paper_account(engine, broker.account, Decimal("500"), now=NOW)
    assert [(b.currency, b.total) for b in broker.balances()] == [("AUD", Decimal("500"))]
    with engine.connect() as connection:  # the history is kept
        assert connection.execute(sa.select(sa.func.count()).select_from(Trade)).scalar() == 1


def test_seed_tools_read_the_brokers_rows_for_that_user_only(engine, user_id, cache):
    from omc.core.users import get_or_create_user
    from omc.db import session_scope
    from omc.ledgers import tools

    now = dt.datetime.now(dt.UTC)
    record_price(engine, cache, "BTC", "150000", "151000", "150500", at=now)
    broker = make_broker(engine, user_id, cache, now=now)
    broker.buy("BTC", Decimal("0.01"))
    broker.buy("BTC", Decimal("0.01"))
    broker.sell("BTC", Decimal("0.015"))
    with session_scope(engine) as session:
        other = get_or_create_user(session, "someone-else").id
        orders = tools.fetch_order_history(session, user_id, coin_type="BTC", status="filled")
        assert [(o["side"], o["quantity"], o["price"]) for o in orders] == [
            ("sell", Decimal("0.015"), Decimal("150000")),
            ("buy", Decimal("0.01"), Decimal("151000")),
            ("buy", Decimal("0.01"), Decimal("151000")),
        ]
        assert all(o["filled_at"] for o in orders)
        positions = tools.fetch_user_positions(session, user_id)
        # FIFO: the first lot is gone, half the second remains at 1525.1 per 0.01 (fee in cost)
        assert [
            (p["coin_type"], p["quantity"], p["average_price"], p["total_cost"]) for p in positions
        ] == [("BTC", Decimal("0.005"), Decimal("152510"), Decimal("762.55"))]
        assert tools.fetch_order_history(session, other) == []
        assert tools.fetch_user_positions(session, other) == []
