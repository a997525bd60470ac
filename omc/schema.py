"""Schema versions through Alembic: where the history lives, upgrade, downgrade, drift checks.

The same history serves SQLite and PostgreSQL. The embedded SQLite database is brought to head
automatically on first use; a server database is only ever changed by ``omc db upgrade``.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from omc.errors import InternalError, SchemaOutOfDate, UsageProblem


def migrations_dir() -> Path:
    """The Alembic directory: inside the installed package, or at the top of a source checkout."""
    package_dir = Path(__file__).resolve().parent
    for candidate in (package_dir / "migrations", package_dir.parent / "migrations"):
        if (candidate / "env.py").is_file():
            return candidate
    raise InternalError("omc's migrations are missing from this installation; reinstall omc")


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        config.attributes["engine"] = engine
    return config


def script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    head = script_directory().get_current_head()
    if head is None:
        raise InternalError("omc's migration history has no head")
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _known_revision(revision: str) -> None:
    if revision in {"head", "base"} or revision.startswith(("+", "-")):
        return
    try:
        found = script_directory().get_revision(revision)
    except Exception as error:  # alembic raises several kinds for a bad name
        raise UsageProblem(f"unknown schema revision {revision!r}") from error
    if found is None:
        raise UsageProblem(f"unknown schema revision {revision!r}")


def upgrade(engine: Engine, revision: str = "head") -> None:
    _known_revision(revision)
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    _known_revision(revision)
    command.downgrade(alembic_config(engine), revision)


def schema_differences(engine: Engine) -> list[Any]:
    """What differs between omc's models and the live schema (empty when they agree)."""
    from omc.lab.checkpoints import CHECKPOINT_TABLES
    from omc.tables import metadata

    def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
        # The lab's checkpointer keeps its own tables beside omc's (LangGraph migrates them).
        return not (type_ == "table" and name in CHECKPOINT_TABLES)

    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "compare_server_default": False,
                "include_name": include_name,
            },
        )
        return compare_metadata(context, metadata)


def schema_state(engine: Engine) -> dict[str, Any]:
    """Current and head revisions, and whether the database is at head."""
    head = head_revision()
    current = current_revision(engine)
    return {"current": current, "head": head, "at_head": current == head}


@contextmanager
def _migration_lock(lock_path: Path) -> Iterator[None]:
    """Serialise automatic upgrades of one SQLite file across processes."""
    with lock_path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_schema(engine: Engine, *, auto_upgrade: bool, lock_path: Path | None = None) -> None:
    """Make sure the schema is at head: upgrade it (embedded) or say how to (server)."""
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    known = {script.revision for script in script_directory().walk_revisions()}
    if current is not None and current not in known:
        raise SchemaOutOfDate(
            f"the database schema is at revision {current}, which this version of omc does not "
            "know; it was upgraded by a newer omc. Upgrade omc."
        )
    if not auto_upgrade:
        raise SchemaOutOfDate(
            f"the database schema is at {current or 'no revision (empty)'} but omc needs {head}; "
            "run `omc db upgrade` to migrate it"
        )
    if lock_path is None:
        upgrade(engine)
        return
    with _migration_lock(lock_path):
        if current_revision(engine) != head:
            upgrade(engine)
