"""What a command or a daemon job works with: settings, the database and the acting user.

Built once per process by :func:`open_runtime`; nothing connects until first needed.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from omc.home import ensure_home
from omc.settings import LoadedSettings, Settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from omc.vault import Vault


@dataclass
class Runtime:
    """Settings plus lazily opened resources; pass it, never make it global."""

    loaded: LoadedSettings
    # Shown in pg_stat_activity, so an operator (or a test) can find a daemon's connections.
    application_name: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _schema_checked: bool = field(default=False, repr=False)

    @property
    def settings(self) -> Settings:
        return self.loaded.settings

    def engine(self, *, check_schema: bool = True) -> Engine:
        """The database engine, connected and (by default) checked to be at the schema head.

        The embedded SQLite database is created and migrated on first use.
        """
        if self._engine is None:
            from omc.db import check_connection, make_engine

            settings = self.settings
            if settings.is_embedded_database:
                ensure_home(settings.home)
            engine = make_engine(settings.effective_database_url)
            if self.application_name and engine.dialect.name == "postgresql":
                _name_connections(engine, self.application_name)
            check_connection(engine)
            self._engine = engine
            from omc.lab.resolver import install_algorithm_resolver

            install_algorithm_resolver(engine, settings.home)  # `algo:NAME` by name
            self._schema_checked = False
        if check_schema and not self._schema_checked:
            from omc.schema import ensure_schema

            embedded = self.settings.is_embedded_database
            ensure_schema(
                self._engine,
                auto_upgrade=embedded,
                lock_path=self.settings.home / ".migrate.lock" if embedded else None,
            )
            self._schema_checked = True
        return self._engine

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success, rolls back on error."""
        from omc.db import session_scope

        with session_scope(self.engine()) as session:
            yield session

    @cached_property
    def username(self) -> str:
        from omc.core.users import resolve_username

        return resolve_username(self.settings.user)

    def user_id(self) -> uuid.UUID:
        """The acting user's id, creating the local user on first use."""
        from omc.core.users import get_or_create_user

        with self.session() as session:
            return get_or_create_user(session, self.username).id

    @cached_property
    def vault(self) -> Vault:
        """The vault holding this installation's master keys (loaded on first need)."""
        from omc.vault import Vault

        return Vault(self.settings.home)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
            self._schema_checked = False


def _name_connections(engine: Engine, name: str) -> None:
    import sqlalchemy as sa

    def set_name(dialect, record, cargs, cparams) -> None:  # type: ignore[no-untyped-def]
        cparams.setdefault("application_name", name)

    sa.event.listen(engine, "do_connect", set_name)


def open_runtime(overrides: dict | None = None) -> Runtime:
    """Load settings (raising a clear error if they are invalid) and wrap them."""
    from omc.logging_setup import configure_logging
    from omc.settings import load_settings

    loaded = load_settings(overrides=overrides)
    configure_logging(loaded.settings.log_level)
    return Runtime(loaded=loaded)
