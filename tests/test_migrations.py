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
