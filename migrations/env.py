"""Alembic environment for omc: one history for SQLite and PostgreSQL.

omc passes its own engine in ``config.attributes["engine"]``; run from the ``alembic`` command
line instead, the URL comes from omc's settings (``OMC_DATABASE_URL`` or the embedded default).
"""

from __future__ import annotations

from alembic import context

from omc.tables import metadata


def _engine():
    engine = context.config.attributes.get("engine")
    if engine is not None:
        return engine
    from omc.db import make_engine
    from omc.settings import load_settings

    return make_engine(load_settings().settings.effective_database_url)


def run_migrations_online() -> None:
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            compare_type=True,
            # SQLite cannot ALTER most things in place; batch mode copies the table instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


if context.is_offline_mode():
    raise SystemExit("omc migrations run online only: use `omc db upgrade`")
run_migrations_online()
