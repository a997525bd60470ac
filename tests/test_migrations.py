"""The migration history builds the models' schema on both databases, up and down."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from omc import schema
from omc.db import make_engine


def test_upgrade_downgrade_upgrade_and_models_agree(database_url):
    engine = make_engine(database_url)
    try:
        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        assert schema.schema_differences(engine) == []
        assert {"users", "audit_log"} <= set(sa.inspect(engine).get_table_names())

        schema.downgrade(engine, "base")
        assert schema.current_revision(engine) is None
        assert set(sa.inspect(engine).get_table_names()) <= {"alembic_version"}

        schema.upgrade(engine)
        assert schema.current_revision(engine) == schema.head_revision()
        assert schema.schema_differences(engine) == []
    finally:
        engine.dispose()


def test_history_is_one_line_with_one_head():
    script = schema.script_directory()
    assert len(script.get_heads()) == 1
    assert schema.migrations_dir().name == "migrations"


def test_database_from_a_newer_omc_is_refused_not_migrated(database_url):
    from omc.errors import SchemaOutOfDate

    engine = make_engine(database_url)
    try:
        schema.upgrade(engine)
        with engine.begin() as connection:
            connection.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
        with pytest.raises(SchemaOutOfDate, match="upgraded by a newer omc"):
            schema.ensure_schema(engine, auto_upgrade=True)
    finally:
        engine.dispose()


def test_embedded_database_is_upgraded_automatically_once(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'auto.sqlite3'}")
    try:
        schema.ensure_schema(engine, auto_upgrade=True, lock_path=tmp_path / "lock")
        assert schema.current_revision(engine) == schema.head_revision()
        schema.ensure_schema(engine, auto_upgrade=True, lock_path=tmp_path / "lock")
        assert schema.schema_differences(engine) == []
    finally:
        engine.dispose()


def test_price_timestamps_become_iso_text_on_sqlite_and_back(tmp_path):
    """0007 rewrites SQLite's stored bar times as ISO text (microseconds only when set), in key
    order and without conflicts, and its downgrade restores the old text exactly."""
    engine = make_engine(f"sqlite:///{tmp_path / 'prices.sqlite3'}")
    old = ["2024-01-01 00:00:00.000000", "2024-01-01 00:00:00.500000", "2024-01-01 00:05:00.000000"]
    insert = sa.text(
        "INSERT INTO price_data_5min (timestamp, coin_type, quote, last, source, collected_at) "
        "VALUES (:stamp, 'BTC', 'AUD', 1, 'test', :stamp)"
    )
    stored = sa.text("SELECT timestamp, collected_at FROM price_data_5min ORDER BY timestamp")
    try:
        schema.upgrade(engine, "0006_source_credentials")
        with engine.begin() as connection:
            connection.execute(insert, [{"stamp": stamp} for stamp in old])
        schema.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(stored).all()
        assert [row[0] for row in rows] == [
            "2024-01-01T00:00:00+00:00",
            "2024-01-01T00:00:00.500000+00:00",
            "2024-01-01T00:05:00+00:00",
        ]
        assert [row[1] for row in rows] == old  # collected_at keeps UTCDateTime's text
        schema.downgrade(engine, "0006_source_credentials")
        with engine.connect() as connection:
            assert [row[0] for row in connection.execute(stored)] == old
    finally:
        engine.dispose()
