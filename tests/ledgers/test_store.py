"""The two bulk-write paths on both databases: straight insert of new rows, merge otherwise."""

from __future__ import annotations

import datetime as dt
import gzip

import numpy as np
import sqlalchemy as sa

from omc.ledgers import tools
from omc.ledgers.exchange.models import PriceBar
from omc.ledgers.history import store
from omc.ledgers.history.importer import import_file
from omc.ledgers.history.stamps import stamp_text

TABLE = PriceBar.__table__
START = dt.datetime(2024, 3, 1, tzinfo=dt.UTC)


def write_file(path, first, count, *, price=100.0, blank_open=False):
    lines = ["open_time,open,high,low,close,volume"]
    for i in range(first, first + count):
        stamp = START + dt.timedelta(minutes=5 * i)
        opening = "" if blank_open else f"{price + i}"
        lines.append(f"{stamp:%Y-%m-%d %H:%M:%S},{opening},{price + i + 1},{price + i - 1},"
                     f"{price + i + 0.5},{i + 1}")  # fmt: skip
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    return path


def stored(engine):
    with engine.connect() as connection:
        query = sa.select(TABLE).where(TABLE.c.coin_type == "ABC").order_by(TABLE.c.timestamp)
        return connection.execute(query).all()


def test_new_rows_go_straight_in_and_an_overlapping_file_merges(engine, tmp_path, monkeypatch):
    paths = []
    original = store._write

    def spy(connection, batch, progress, merge):
        paths.append("merge" if merge else "direct")
        return original(connection, batch, progress, merge)

    monkeypatch.setattr(store, "_write", spy)
    first = import_file(engine, write_file(tmp_path / "a.csv.gz", 0, 100), coin="abc")
    both = import_file(engine, write_file(tmp_path / "b.csv.gz", 50, 100), coin="ABC")
    again = import_file(engine, tmp_path / "b.csv.gz", coin="ABC")
    later = import_file(engine, write_file(tmp_path / "c.csv.gz", 200, 10), coin="ABC")
    assert paths == ["direct", "merge", "merge", "direct"]
    assert (first.inserted, first.updated) == (100, 0)
    assert (both.inserted, both.updated) == (50, 0)
    assert (again.inserted, again.updated) == (0, 0)
    assert (later.inserted, later.updated) == (10, 0)
    rows = stored(engine)
    assert len(rows) == 160
    assert len({row.timestamp for row in rows}) == 160
    assert rows[0].timestamp == START
    assert rows[0].collected_at == START + dt.timedelta(minutes=5)


def test_changed_prices_in_an_overlapping_file_update_only_those_rows(engine, tmp_path):
    import_file(engine, write_file(tmp_path / "a.csv.gz", 0, 20), coin="ABC")
    changed = import_file(engine, write_file(tmp_path / "b.csv.gz", 10, 20, price=200), coin="ABC")
    assert (changed.inserted, changed.updated) == (10, 10)
    rows = stored(engine)
    assert len(rows) == 30
    assert float(rows[9].last) == 109.5
    assert float(rows[10].last) == 210.5


def test_a_race_on_the_direct_path_falls_back_to_merge(engine, tmp_path, monkeypatch):
    path = write_file(tmp_path / "a.csv.gz", 0, 30)
    import_file(engine, path, coin="ABC")
    monkeypatch.setattr(store, "overlaps", lambda engine, batch: False)  # another writer won
    again = import_file(engine, path, coin="ABC")
    assert (again.inserted, again.updated) == (0, 0)
    assert len(stored(engine)) == 30


def test_missing_prices_are_stored_as_null(engine, tmp_path):
    import_file(engine, write_file(tmp_path / "a.csv.gz", 0, 5, blank_open=True), coin="ABC")
    rows = stored(engine)
    assert [row.open for row in rows] == [None] * 5
    assert float(rows[4].last) == 104.5


def test_stamp_text_matches_numpy_and_the_orm_format():
    values = np.random.default_rng(3).integers(0, 4_000_000_000 * 10**6, 5000)
    micros = values.astype("datetime64[us]")
    seconds = micros.astype("datetime64[s]")
    for stamps in (micros, seconds):
        expected = np.datetime_as_string(stamps.astype("datetime64[us]"), unit="us").tolist()
        assert stamp_text(stamps) == [text.replace("T", " ") for text in expected]
    assert stamp_text(micros[:1], sep="T", suffix="+00")[0].endswith("+00")
    assert stamp_text(micros[:0]) == []


def test_iso_text_is_isoformat_of_each_utc_time():
    """The bulk writer's text for ``price_data_5min.timestamp`` on SQLite: exactly what the
    ORM stores through ISOUTCDateTime (microseconds only where set, in a mixed batch too)."""
    from omc.db import iso_text as one_iso_text
    from omc.ledgers.history.stamps import iso_text

    values = np.random.default_rng(4).integers(0, 4_000_000_000 * 10**6, 5000)
    values[::2] -= values[::2] % 1_000_000  # half of them on a whole second
    stamps = values.astype("datetime64[us]")
    expected = [one_iso_text(stamp) for stamp in stamps.astype(dt.datetime).tolist()]
    assert iso_text(stamps) == expected
    assert iso_text(stamps[:0]) == []


def test_bulk_imported_and_upserted_bars_share_one_key(engine, tmp_path):
    """A bar imported in bulk and the same bar upserted through SQLAlchemy (as the CoinSpot
    collector writes) are one row: both write the same stored time."""
    from omc.ledgers.exchange.bars import PRICE_KEY, PRICE_TABLE
    from omc.ledgers.upsert import upsert

    import_file(engine, write_file(tmp_path / "a.csv.gz", 0, 3), coin="ABC", quote="AUD")
    row = {
        "timestamp": START + dt.timedelta(minutes=5),
        "coin_type": "ABC",
        "quote": "AUD",
        "bid": 100.0,
        "ask": 102.0,
        "last": 101.0,
        "source": "coinspot",
        "collected_at": START + dt.timedelta(minutes=6),
    }
    with engine.begin() as connection:
        counts = upsert(connection, PRICE_TABLE, [row], keys=PRICE_KEY)
    assert (counts.inserted, counts.updated) == (0, 1)
    rows = stored(engine)
    assert len(rows) == 3
    assert (float(rows[1].bid), float(rows[1].last)) == (100.0, 101.0)


def test_fetch_price_data_renders_timestamps_as_isoformat(session):
    stamps = [START, START + dt.timedelta(minutes=5, microseconds=123456)]
    session.add_all(
        PriceBar(
            coin_type="ABC", quote="AUD", timestamp=stamp, last=1, source="test", collected_at=stamp
        )
        for stamp in stamps
    )
    session.flush()
    rows = tools.fetch_price_data(session, "abc", START - dt.timedelta(days=1))
    assert [row["timestamp"] for row in rows] == [stamp.isoformat() for stamp in stamps]
    assert rows[0] == {
        "timestamp": "2024-03-01T00:00:00+00:00",
        "coin_type": "ABC",
        "quote": "AUD",
        "bid": None,
        "ask": None,
        "last": 1.0,
    }


def test_the_natural_key_is_the_only_key_and_sqlite_clusters_on_it(engine):
    inspector = sa.inspect(engine)
    columns = [column["name"] for column in inspector.get_columns("price_data_5min")]
    assert "id" not in columns
    key = inspector.get_pk_constraint("price_data_5min")
    assert key["constrained_columns"] == ["coin_type", "timestamp", "quote"]
    assert inspector.get_unique_constraints("price_data_5min") == []
    assert inspector.get_indexes("price_data_5min") == []
    if engine.dialect.name == "sqlite":
        assert inspector.get_table_options("price_data_5min").get("sqlite_with_rowid") is False


def _numeric_fields(column, count):
    """Decode the fixed-width binary ``numeric`` fields of ``count`` rows back to Decimals."""
    from decimal import Decimal

    from omc.ledgers.history import copy_binary

    out = np.empty(count, dtype=np.dtype(column.layout("n")))
    column.fill(out, "n", 0, count)
    values = []
    for field in out:
        assert field["n_length"] == 8 + 2 * field["n_ndigits"]
        assert field["n_sign"] == 0
        digits = "".join(f"{digit:04d}" for digit in field["n_digits"].tolist())
        exponent = copy_binary.NUMERIC_DIGITS_PER_GROUP * (
            field["n_weight"] + 1 - len(field["n_digits"])
        )
        values.append(Decimal(f"{int(digits)}E{exponent}"))
    return values, out


def test_fixed_point_binary_numeric_is_the_decimal_of_repr():
    from decimal import Decimal

    from omc.ledgers.history import copy_binary

    rng = np.random.default_rng(5)
    columns = [
        np.round(rng.uniform(0, 70_000, 20_000), 2),
        np.round(rng.uniform(0, 3, 20_000), 8),
        np.round(rng.uniform(0, 1e9, 20_000), 0),
        np.array([0.0, 0.1, 0.2, 0.3, 1e-05, 123456.789, 2.5, 99999.99995]),
    ]
    for values in columns:
        numbers, places = copy_binary.fixed_point(values)
        decoded, fields = _numeric_fields(copy_binary.NumericColumn(numbers, places), len(values))
        assert set(fields["n_dscale"].tolist()) == {places}  # the scale the text would give
        for found, value in zip(decoded, values.tolist(), strict=True):
            assert found == Decimal(repr(value))
    for awkward in ([1 / 3], [float("nan"), 1.0], [-1.0], [2.0**60 + 0.5], []):
        assert copy_binary.fixed_point(np.array(awkward, dtype="float64")) is None


def test_binary_copy_frames_rows_as_postgresql_reads_them():
    """Signature first, one row per 2-byte field count, trailer last; timestamps in µs since
    2000-01-01."""
    import pandas as pd

    from omc.ledgers.history import copy_binary
    from omc.ledgers.history.batch import Batch
    from omc.ledgers.history.store_sql import COLUMNS

    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime([dt.datetime(2000, 1, 1, 0, 5, tzinfo=dt.UTC)] * 3),
            "open": 1.0,
            "high": 2.0,
            "low": 0.5,
            "close": 1.5,
            "volume": 3.0,
        }
    )
    batch = Batch.from_frame(store.prepare(frame, "ABC", "AUD", "t", 300))
    numerics = {
        name: copy_binary.NumericColumn(*copy_binary.fixed_point(batch.arrays[name]))
        for name in ("last", "open", "high", "low", "volume")
    }
    chunks = list(copy_binary.chunks(batch, list(COLUMNS), numerics, rows_per_chunk=2))
    assert [done for done, _ in chunks] == [2, 3]
    payload = b"".join(data for _, data in chunks)
    assert payload.startswith(b"PGCOPY\n\xff\r\n\x00" + bytes(8))
    assert payload.endswith(b"\xff\xff")
    body = payload[19:-2]
    assert len(body) % 3 == 0
    row = body[: len(body) // 3]
    assert row[:2] == (10).to_bytes(2, "big")
    assert row[2:6] == (8).to_bytes(4, "big")
    assert int.from_bytes(row[6:14], "big", signed=True) == 300_000_000
    assert row[14:21] == (3).to_bytes(4, "big") + b"ABC"


def test_prices_with_many_decimals_are_stored_as_their_repr(engine, tmp_path):
    from decimal import Decimal

    lines = ["open_time,open,high,low,close,volume"]
    for i in range(3):
        stamp = START + dt.timedelta(minutes=5 * i)
        lines.append(
            f"{stamp:%Y-%m-%d %H:%M:%S},{10 + 1 / 3 + i},{11 + 2 / 3 + i},{10 + 1 / 7},"
            f"{10.5 + i},{i}"
        )
    path = tmp_path / "awkward.csv.gz"
    path.write_bytes(gzip.compress("\n".join(lines).encode()))
    import_file(engine, path, coin="ABC")
    rows = stored(engine)
    opens = [10 + 1 / 3 + i for i in range(3)]
    if engine.dialect.name == "postgresql":  # NUMERIC(28, 10): repr rounded to 10 places
        expected = [Decimal(repr(value)).quantize(Decimal("1e-10")) for value in opens]
        assert [row.open for row in rows] == expected
    else:  # SQLite keeps the float
        assert [float(row.open) for row in rows] == opens
    assert [float(row.last) for row in rows] == [10.5, 11.5, 12.5]
    assert [row.timestamp for row in rows] == [
        START + dt.timedelta(minutes=5 * i) for i in range(3)
    ]


def test_sub_second_stamps_keep_their_microseconds_in_bulk(engine):
    stamps = [START + dt.timedelta(minutes=5 * i, microseconds=7 * i) for i in range(4)]
    import pandas as pd

    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(stamps, utc=True),
            "open": 1.0,
            "high": 2.0,
            "low": 0.5,
            "close": [1.25, 1.5, 1.75, 2.0],
            "volume": 3.0,
        }
    )
    counts = store.write_bars(engine, store.prepare(frame, "ABC", "AUD", "test", 300))
    assert (counts.inserted, counts.updated) == (4, 0)
    assert [row.timestamp for row in stored(engine)] == stamps


def test_the_binary_copy_stores_what_the_repr_text_stores(engine, tmp_path, monkeypatch):
    from omc.ledgers.history import store_postgresql

    path = write_file(tmp_path / "a.csv.gz", 0, 300, price=12345.67)
    import_file(engine, path, coin="ABC")
    monkeypatch.setattr(store_postgresql, "_binary_chunks", lambda batch: None)
    import_file(engine, path, coin="XYZ")
    with engine.connect() as connection:
        query = sa.select(TABLE).order_by(TABLE.c.timestamp)
        fast = connection.execute(query.where(TABLE.c.coin_type == "ABC")).all()
        slow = connection.execute(query.where(TABLE.c.coin_type == "XYZ")).all()
    assert len(fast) == 300

    def without_coin(rows):
        return [{**row._asdict(), "coin_type": None} for row in rows]

    assert without_coin(fast) == without_coin(slow)


def test_fetch_price_data_bounds_work_for_any_year(session):
    """SQLite compares stored text: a year before 1000 must still be zero-padded in the bound."""
    session.add(
        PriceBar(
            coin_type="ABC", quote="AUD", timestamp=START, last=1, source="t", collected_at=START
        )
    )
    session.flush()
    rows = tools.fetch_price_data(session, "ABC", dt.datetime(999, 1, 1), START)
    assert [row["timestamp"] for row in rows] == [START.isoformat()]


def test_fetch_price_data_narrows_by_quote_and_as_of(session):
    for quote, offset in (("AUD", 0), ("USDT", 1)):
        session.add_all(
            PriceBar(
                coin_type="ABC",
                quote=quote,
                timestamp=START + dt.timedelta(minutes=5 * i),
                last=i + offset,
                source="test",
                collected_at=START + dt.timedelta(minutes=5 * i + 5),
            )
            for i in range(4)
        )
    session.flush()
    both = tools.fetch_price_data(session, "Abc", START, START + dt.timedelta(hours=1))
    assert [(row["quote"], row["last"]) for row in both[:2]] == [("AUD", 0.0), ("USDT", 1.0)]
    usdt = tools.fetch_price_data(session, "abc", START, quote="usdt")
    assert [row["last"] for row in usdt] == [1.0, 2.0, 3.0, 4.0]
    known = tools.fetch_price_data(
        session, "ABC", START, quote="AUD", as_of=START + dt.timedelta(minutes=10)
    )
    assert [row["timestamp"] for row in known] == [
        START.isoformat(),
        (START + dt.timedelta(minutes=5)).isoformat(),
    ]
    assert tools.fetch_price_data(session, "ABC", START + dt.timedelta(hours=1), START) == both
    assert len(tools.fetch_price_data(session, "ABC", None)) == 8
