"""The LangGraph checkpointer of lab sessions, chosen from the database URL.

SQLite uses ``langgraph-checkpoint-sqlite`` on the same database file, PostgreSQL uses
``langgraph-checkpoint-postgres`` on the same database and search path. Both keep their tables
beside omc's (LangGraph creates and migrates them; the schema drift check leaves them out).
There is no in-memory saver here: a session must survive the process that ran it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from omc.errors import ConfigProblem

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from sqlalchemy.engine import Engine

# Tables the two savers create (SQLite: checkpoints, writes; PostgreSQL: the other four).
CHECKPOINT_TABLES = frozenset(
    {"checkpoints", "writes", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations"}
)
SQLITE_TIMEOUT_SECONDS = 10.0


def postgres_conninfo(engine: Engine) -> str:
    """The libpq URI of a SQLAlchemy PostgreSQL engine (driver name dropped, options kept)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


@contextmanager
def open_checkpointer(engine: Engine) -> Iterator[BaseCheckpointSaver]:
    """The checkpointer for ``engine``'s database, set up and open for the block."""
    dialect = engine.dialect.name
    if dialect == "sqlite":
        import sqlite3

        from langgraph.checkpoint.sqlite import SqliteSaver

        path = engine.url.database
        if not path or path == ":memory:":
            raise ConfigProblem("lab sessions need a database file, not an in-memory SQLite")
        # check_same_thread=False is safe: the saver serialises access with its own lock.
        connection = sqlite3.connect(path, check_same_thread=False, timeout=SQLITE_TIMEOUT_SECONDS)
        try:
            saver = SqliteSaver(connection)
            saver.setup()
            yield saver
        finally:
            connection.close()
        return
    if dialect == "postgresql":
        from langgraph.checkpoint.postgres import PostgresSaver

        with PostgresSaver.from_conn_string(postgres_conninfo(engine)) as saver:
            saver.setup()
            yield saver
        return
    raise ConfigProblem(f"lab sessions cannot keep checkpoints on a {dialect} database")


def delete_checkpoints(saver: BaseCheckpointSaver, session_id: str) -> None:
    """Forget a session's checkpoints (after it ended for good)."""
    saver.delete_thread(session_id)
