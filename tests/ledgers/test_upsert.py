"""The upsert helper: natural keys, counts, change detection and bar rules on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from omc.ledgers.exchange.bars import POLL_RULES, PRICE_KEY, PRICE_TABLE
from omc.ledgers.upsert import upsert

T = dt.datetime(2026, 1, 1, 0, 0, tzinfo=dt.UTC)


def bar(coin="BTC", minutes=0, last="100", **extra):
    row = {
        "coin_type": coin,
        "quote": "AUD",
        "timestamp": T + dt.timedelta(minutes=minutes),
        "bid": None,
        "ask": None,
        "last": Decimal(last),
        "open": Decimal(last),
        "high": Decimal(last),
        "low": Decimal(last),
        "volume": None,
        "source": "test",
        "collected_at": T + dt.timedelta(minutes=minutes, seconds=30),
    }
    row.update(extra)
    return row


def count(connection):
    return connection.execute(sa.select(sa.func.count()).select_from(PRICE_TABLE)).scalar_one()


def test_same_rows_twice_insert_then_change_nothing(session):
    connection = session.connection()
    rows = [bar(minutes=5 * i) for i in range(3)]
    first = upsert(connection, PRICE_TABLE, rows, keys=PRICE_KEY)
    again = upsert(connection, PRICE_TABLE, rows, keys=PRICE_KEY)
    assert (first.inserted, first.updated) == (3, 0)
    assert (again.inserted, again.updated) == (0, 0)
    assert count(connection) == 3


def test_changed_value_updates_only_that_row_and_collected_at_alone_is_no_change(session):
    connection = session.connection()
    upsert(connection, PRICE_TABLE, [bar(), bar(minutes=5)], keys=PRICE_KEY)
    later = T + dt.timedelta(hours=1)
    result = upsert(
        connection,
        PRICE_TABLE,
        [bar(last="101"), bar(minutes=5, collected_at=later), bar(minutes=10)],
        keys=PRICE_KEY,
    )
    assert (result.inserted, result.updated) == (1, 1)
    stored = connection.execute(
        sa.select(PRICE_TABLE.c.last, PRICE_TABLE.c.collected_at).order_by(PRICE_TABLE.c.timestamp)
    ).all()
    assert [row.last for row in stored] == [Decimal("101"), Decimal("100"), Decimal("100")]
    assert stored[1].collected_at == T + dt.timedelta(minutes=5, seconds=30)


def test_duplicate_keys_in_one_batch_keep_the_last(session):
    connection = session.connection()
    result = upsert(connection, PRICE_TABLE, [bar(last="1"), bar(last="2")], keys=PRICE_KEY)
    assert (result.inserted, result.updated) == (1, 0)
    assert connection.execute(sa.select(PRICE_TABLE.c.last)).scalar_one() == Decimal("2")


def test_poll_rules_keep_open_and_widen_high_low(session):
    connection = session.connection()
    for last in ("100", "104", "97", "101"):
        upsert(connection, PRICE_TABLE, [bar(last=last)], keys=PRICE_KEY, update=POLL_RULES)
    row = connection.execute(sa.select(PRICE_TABLE)).one()
    assert (row.open, row.high, row.low, row.last) == (
        Decimal("100"),
        Decimal("104"),
        Decimal("97"),
        Decimal("101"),
    )


def test_many_rows_are_chunked_below_the_parameter_limit(session):
    connection = session.connection()
    rows = [bar(minutes=5 * i) for i in range(6000)]
    result = upsert(connection, PRICE_TABLE, rows, keys=PRICE_KEY)
    assert result.inserted == 6000
    assert count(connection) == 6000
