"""Floor fixtures: a user, recorded CoinSpot prices in the ledger and the hot cache."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from omc.cache import InProcessCache
from omc.core.users import get_or_create_user
from omc.db import session_scope
from omc.ledgers.exchange.latest import store_latest
from omc.ledgers.exchange.models import PriceBar

NOW = dt.datetime(2026, 12, 1, 12, 0, 3, tzinfo=dt.UTC)


@pytest.fixture
def user_id(engine):
    with session_scope(engine) as session:
        return get_or_create_user(session, "tester").id


def record_price(engine, cache, coin, bid, ask, last, *, at=NOW):
    """A bar in price_data_5min and the same snapshot in the cache, as the collector writes."""
    row = {
        "coin_type": coin,
        "quote": "AUD",
        "timestamp": at.replace(second=0, microsecond=0),
        "bid": Decimal(bid),
        "ask": Decimal(ask),
        "last": Decimal(last),
        "source": "coinspot",
        "collected_at": at,
    }
    with session_scope(engine) as session:
        session.merge(PriceBar(**row))
    if cache is not None:
        store_latest(cache, [row], ttl=None)


@pytest.fixture
def cache():
    return InProcessCache()
