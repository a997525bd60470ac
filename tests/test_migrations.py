"""The migration history builds the models' schema on both databases, up and down."""

from __future__ import annotations

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
