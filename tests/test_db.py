"""Column types and engines behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from omc.db import (
    ISOUTCDateTime,
    Money,
    StringList,
    UTCDateTime,
    as_utc,
    check_connection,
    make_engine,
)
from omc.errors import ConfigProblem, DatabaseUnreachable

SYDNEY = dt.timezone(dt.timedelta(hours=11))


@pytest.fixture
def probe_table(database_url):
    metadata = sa.MetaData()
    table = sa.Table(
        "probe",
        metadata,
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UTCDateTime()),
        sa.Column("tags", StringList()),
        sa.Column("amount", Money()),
    )
    engine = make_engine(database_url)
    metadata.create_all(engine)
    yield engine, table
    engine.dispose()


def test_timestamps_come_back_aware_utc_whatever_zone_went_in(probe_table):
    engine, table = probe_table
    sydney_time = dt.datetime(2026, 1, 9, 14, 30, tzinfo=SYDNEY)
    naive = dt.datetime(2026, 1, 9, 3, 30)
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            [
                {"id": uuid.uuid4(), "at": sydney_time},
                {"id": uuid.uuid4(), "at": naive},
            ],
        )
        values = connection.execute(sa.select(table.c.at)).scalars().all()
    assert values == [dt.datetime(2026, 1, 9, 3, 30, tzinfo=dt.UTC)] * 2
    assert all(value.tzinfo == dt.UTC for value in values)


def test_timestamp_comparisons_use_utc_instants(probe_table):
    engine, table = probe_table
    with engine.begin() as connection:
        connection.execute(
            table.insert(),
            {"id": uuid.uuid4(), "at": dt.datetime(2026, 1, 9, 3, 30, tzinfo=dt.UTC)},
        )
        later_in_sydney = dt.datetime(2026, 1, 9, 14, 31, tzinfo=SYDNEY)  # 03:31 UTC
        found = connection.execute(
            sa.select(sa.func.count()).where(table.c.at < later_in_sydney)
        ).scalar_one()
    assert found == 1


def test_iso_timestamps_store_isoformat_text_on_sqlite_and_sort_in_time_order(database_url):
    """ISOUTCDateTime: SQLite keeps exactly ``datetime.isoformat`` of the UTC time; a whole
    second sorts before its fractions, and comparisons and round trips work on both databases."""
    metadata = sa.MetaData()
    table = sa.Table("iso_probe", metadata, sa.Column("at", ISOUTCDateTime(), primary_key=True))
    engine = make_engine(database_url)
    base = dt.datetime(2026, 1, 9, 3, 30, tzinfo=dt.UTC)
    times = [base + dt.timedelta(seconds=1), base + dt.timedelta(microseconds=500_000), base]
    try:
        metadata.create_all(engine)
        with engine.begin() as connection:
            connection.execute(table.insert(), [{"at": at.astimezone(SYDNEY)} for at in times])
            ordered = connection.execute(sa.select(table.c.at).order_by(table.c.at)).scalars()
            assert list(ordered) == sorted(times)
            later = connection.execute(sa.select(table.c.at).where(table.c.at > base)).scalars()
            assert sorted(later) == sorted(times[:2])
            if engine.dialect.name == "sqlite":
                text = connection.execute(sa.text("SELECT at FROM iso_probe ORDER BY at"))
                assert [row[0] for row in text] == [at.isoformat() for at in sorted(times)]
    finally:
        engine.dispose()


def test_string_lists_round_trip_and_use_array_on_postgresql(probe_table):
    engine, table = probe_table
    with engine.begin() as connection:
        connection.execute(table.insert(), {"id": uuid.uuid4(), "tags": ["BTC", "ETH"]})
        assert connection.execute(sa.select(table.c.tags)).scalar_one() == ["BTC", "ETH"]
    column_type = sa.inspect(engine).get_columns("probe")[2]["type"]
    expected = "ARRAY" if engine.dialect.name == "postgresql" else "JSON"
    assert type(column_type).__name__ == expected


def test_money_is_exact_decimal(probe_table):
    engine, table = probe_table
    amounts = [Decimal("0.1"), Decimal("12345.6789012345"), Decimal("0.00000001")]
    with engine.begin() as connection:
        connection.execute(
            table.insert(), [{"id": uuid.uuid4(), "amount": amount} for amount in amounts]
        )
        stored = connection.execute(sa.select(table.c.amount)).scalars().all()
        total = connection.execute(sa.select(sa.func.sum(table.c.amount))).scalar_one()
    assert sorted(stored) == sorted(amounts)
    assert all(isinstance(value, Decimal) for value in stored)
    if engine.dialect.name == "postgresql":
        assert Decimal(total) == sum(amounts)
    else:
        # SQLite sums NUMERIC as binary floats: close, not exact. Sum money in Python there.
        assert abs(Decimal(str(total)) - sum(amounts)) < Decimal("1e-9")


def test_uuid_round_trips(probe_table):
    engine, table = probe_table
    key = uuid.uuid4()
    with engine.begin() as connection:
        connection.execute(table.insert(), {"id": key})
        assert connection.execute(sa.select(table.c.id)).scalar_one() == key


def test_sqlite_engine_uses_wal_foreign_keys_and_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()


def test_unknown_scheme_is_a_config_error():
    with pytest.raises(ConfigProblem, match="unsupported database URL scheme 'oracle'"):
        make_engine("oracle://scott@tiger/db")


def test_unreachable_postgresql_fails_fast_with_a_masked_url():
    engine = make_engine("postgresql+psycopg://omc:canary-password@127.0.0.1:1/omc")
    with pytest.raises(DatabaseUnreachable) as caught:
        check_connection(engine)
    assert "canary-password" not in caught.value.message
    assert "omc:***@127.0.0.1:1/omc" in caught.value.message


def test_as_utc_takes_naive_as_utc():
    assert as_utc(dt.datetime(2026, 1, 1)) == dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
