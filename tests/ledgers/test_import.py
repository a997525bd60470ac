"""Importing the real price files in ../shared/data on both databases."""

from __future__ import annotations

import gzip

import pytest
import sqlalchemy as sa

from omc.errors import DataProblem
from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.history.importer import import_file

TABLE = PriceBar.__table__


def stored(engine, coin="BTC"):
    with engine.connect() as connection:
        query = sa.select(TABLE).where(TABLE.c.coin_type == coin).order_by(TABLE.c.timestamp)
        return connection.execute(query).all()


def test_binance_vision_file_imports_once_and_reimport_changes_nothing(engine, shared_dir):
    path = shared_dir / "data" / "binance_vision_BTCUSDT-1h-2022-01.csv.gz"
    first = import_file(engine, path, coin="btc")
    again = import_file(engine, path, coin="BTC")
    assert (first.bars, first.inserted, first.updated) == (744, 744, 0)
    assert (again.inserted, again.updated) == (0, 0)
    rows = stored(engine)
    assert len(rows) == 744
    head = rows[0]
    assert str(head.timestamp) == "2022-01-01 00:00:00+00:00"
    assert str(head.collected_at) == "2022-01-01 01:00:00+00:00"  # knowable at the bar's close
    assert (head.bid, head.ask, float(head.last), head.quote) == (None, None, 46656.13, "USDT")


def test_cryptodatadownload_newest_first_mixed_units_duplicates_and_bad_print(engine, shared_dir):
    path = shared_dir / "data" / "cryptodatadownload_Binance_BTCUSDT_1h_2017-08_2021-06.csv.gz"
    result = import_file(engine, path, coin="BTC")
    assert result.layout == "CryptoDataDownload"
    assert (result.rows_read, result.duplicates_dropped) == (36062, 2649)
    assert result.bad_prints_dropped == ["2017-08-17T04:00:00+00:00"]
    assert result.bars == 36062 - 2649 - 1
    assert (result.first, result.last) == ("2017-08-17T05:00:00+00:00", "2021-06-10T00:00:00+00:00")


def test_ccxt_and_bybit_layouts(engine, shared_dir):
    ccxt = import_file(
        engine, shared_dir / "data" / "binance_ETHUSDT_5m_2024-12.csv.gz", coin="ETH"
    )
    bybit = import_file(
        engine, shared_dir / "data" / "bybit_linear_ETHUSDT_60m_2025-05_2025-06.csv.gz", coin="ETH"
    )
    assert (ccxt.layout, ccxt.bar_seconds, ccxt.bars) == ("ccxt/binance open_time", 300, 8641)
    assert (bybit.layout, bybit.bar_seconds, bybit.bars) == (
        "ISO timestamp (Bybit-style)",
        3600,
        720,
    )
    assert len(stored(engine, "ETH")) == 8641 + 720


def test_one_minute_bars_are_aggregated_to_five(engine, tmp_path):
    path = tmp_path / "btc_1m.csv.gz"
    lines = ["1735689600000000,10,11,9,10.5,1,0,0,0,0,0,0"]  # µs timestamps (2025 spot files)
    lines += [
        f"{1735689600000000 + i * 60_000_000},{10 + i},{12 + i},{8 + i},{11 + i},2,0,0,0,0,0,0"
        for i in range(1, 6)
    ]
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    result = import_file(engine, path, coin="BTC")
    assert (result.bar_seconds, result.bars) == (300, 2)
    first, second = stored(engine)
    assert (float(first.open), float(first.high), float(first.low), float(first.last)) == (
        10,
        16,
        9,
        15,
    )
    assert float(first.volume) == 9
    assert (float(second.open), float(second.last)) == (15, 16)


def test_unknown_layout_names_the_columns_it_found(engine, tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("when,price\n2024-01-01,1\n")
    with pytest.raises(
        DataProblem, match=r"unrecognised layout in odd.csv: found columns when, price"
    ):
        import_file(engine, path, coin="BTC")


def test_text_times_in_mixed_forms_fall_back_to_iso_parsing(engine, tmp_path):
    """The CSV reader parses one time format itself; a file mixing forms (and a garbage row)
    still imports every parseable row, at the right instant."""
    import datetime as dt

    path = tmp_path / "mixed.csv"
    path.write_text(
        "timestamp,open,high,low,close,volume\n"
        "2024-01-01T00:00:00Z,1,1.6,1.0,1.5,3\n"
        "2024-01-01 10:05:00+10:00,1,1.6,1.0,1.25,3\n"
        "garbage,1,1.6,1.0,1.5,3\n"
        "2024-01-01T00:10:00Z,1,1.6,1.0,1.125,3\n"
    )
    result = import_file(engine, path, coin="BTC")
    assert (result.rows_read, result.bars) == (4, 3)
    rows = stored(engine)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    assert [row.timestamp for row in rows] == [start + dt.timedelta(minutes=m) for m in (0, 5, 10)]
    assert [float(row.last) for row in rows] == [1.5, 1.25, 1.125]


def test_constant_columns_are_quoted_not_trusted(engine, tmp_path):
    """SQLite writes coin, quote and source as SQL literals: a quote inside one is data."""
    path = tmp_path / "a.csv"
    path.write_text("open_time,open,high,low,close,volume\n2024-01-01 00:00:00,1,1.5,1,1.25,2\n")
    import_file(engine, path, coin="BTC", source="o'brien; DROP TABLE price_data_5min")
    assert [row.source for row in stored(engine)] == ["o'brien; DROP TABLE price_data_5min"]


@pytest.mark.parametrize(
    "content",
    [b"\x1f\x8b\x08garbage", b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbagegarbage"],
    ids=["truncated", "corrupt"],
)
def test_a_broken_gzip_file_is_a_data_problem_not_a_crash(engine, tmp_path, content):
    path = tmp_path / "broken.csv.gz"
    path.write_bytes(content)
    with pytest.raises(DataProblem, match=r"cannot read broken.csv.gz as CSV"):
        import_file(engine, path, coin="BTC")
