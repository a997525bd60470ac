"""The bars loader on SQLite and PostgreSQL: the frame the engine takes, spans, point in time,
price-only history, and errors that say what data there is."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from omc.backtest.data import PRICES, BarsQuery, load_bars
from omc.backtest.errors import NoDataError
from omc.db import make_engine


@pytest.fixture
def market_engine(market_url):
    engine = make_engine(market_url)
    yield engine
    engine.dispose()


def test_loads_the_stored_bars_as_the_engines_frame(market_engine, market_bars):
    bars = load_bars(market_engine, BarsQuery("btc", "aud"))
    expected = market_bars
    assert list(bars.columns) == ["open", "high", "low", "close", "volume"]
    assert str(bars.index.tz) == "UTC"
    assert bars.index.name == "timestamp"
    assert list(bars.index) == list(expected.index)
    # Money columns are NUMERIC(28, 10): exact to ten decimal places on PostgreSQL.
    np.testing.assert_allclose(bars.to_numpy(), expected.to_numpy(), rtol=1e-12, atol=1e-10)


def test_since_is_inclusive_and_until_exclusive(market_engine):
    since = dt.datetime(2020, 1, 2, tzinfo=dt.UTC)
    until = dt.datetime(2020, 1, 3, tzinfo=dt.UTC)
    bars = load_bars(market_engine, BarsQuery("BTC", "AUD", since=since, until=until))
    assert len(bars) == 24
    assert bars.index[0] == pd.Timestamp(since)
    assert bars.index[-1] == pd.Timestamp("2020-01-02 23:00", tz="UTC")


def test_as_of_returns_only_bars_collected_by_then(market_engine):
    # Bars written by the importer are collected at their close: an hour after they open.
    as_of = dt.datetime(2020, 1, 1, 5, 0, tzinfo=dt.UTC)
    bars = load_bars(market_engine, BarsQuery("BTC", "AUD", as_of=as_of))
    assert list(bars.index.hour) == [0, 1, 2, 3, 4]


def test_naive_times_are_taken_as_utc(market_engine):
    bars = load_bars(market_engine, BarsQuery("BTC", "AUD", since=dt.datetime(2020, 1, 25, 22)))
    assert len(bars) == 2


def test_unknown_coin_says_to_import_its_history(market_engine):
    with pytest.raises(NoDataError) as caught:
        load_bars(market_engine, BarsQuery("DOGE", "AUD"))
    assert caught.value.message == (
        "No price bars for DOGE: import or backfill its history first "
        "(omc data import, omc data backfill)."
    )


def test_other_quote_names_the_quotes_the_coin_has(market_engine):
    with pytest.raises(NoDataError) as caught:
        load_bars(market_engine, BarsQuery("BTC", "USDT"))
    assert caught.value.message == "No price bars for BTC/USDT; BTC has bars quoted in AUD."


def test_empty_span_says_what_the_data_covers(market_engine):
    query = BarsQuery("BTC", "AUD", since=dt.datetime(2021, 1, 1), until=dt.datetime(2021, 2, 1))
    with pytest.raises(NoDataError) as caught:
        load_bars(market_engine, query)
    assert caught.value.message == (
        "No BTC/AUD price bars between 2021-01-01 and 2021-02-01; the data has 600 bars "
        "from 2020-01-01 to 2020-01-25 23:00."
    )


def test_reversed_span_is_refused_before_any_query():
    with pytest.raises(NoDataError, match="The span is empty: --since 2024-02-01 is not before"):
        BarsQuery("BTC", since=dt.datetime(2024, 2, 1), until=dt.datetime(2024, 1, 1))


def test_price_only_history_loads_as_last(session):
    # CoinSpot's price-only bars: no open/high/low/volume, so the engine fills at each close.
    start = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
    session.execute(
        sa.insert(PRICES),
        [
            {
                "timestamp": start + dt.timedelta(minutes=5 * step),
                "coin_type": "SOL",
                "quote": "AUD",
                "last": 200 + step,
                "bid": 199 + step,
                "ask": 201 + step,
                "source": "coinspot",
                "collected_at": start + dt.timedelta(minutes=5 * step + 1),
            }
            for step in range(4)
        ],
    )
    bars = load_bars(session, BarsQuery("SOL", "AUD"))
    assert list(bars.columns) == ["last"]
    assert bars["last"].tolist() == [200.0, 201.0, 202.0, 203.0]
    assert bars.index[1] == pd.Timestamp("2024-05-01 00:05", tz="UTC")
