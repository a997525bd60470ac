"""One collector per database: a lock held for the daemon's whole life, not just a pid file.

On PostgreSQL it is a session advisory lock on a dedicated connection, keyed by role and
schema, so two hosts sharing one database cannot both collect. If that connection dies (a
database restart), :meth:`CollectorLock.verify` reconnects and takes the lock again, or reports
that another collector took it meanwhile. On SQLite it is an ``flock`` on a file beside the
database file, which every process using that file sees.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import threading
from pathlib import Path
from typing import IO

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from omc.errors import EX_TEMPFAIL, OmcError

log = logging.getLogger(__name__)


class CollectorAlreadyRunning(OmcError):
    """Another daemon of this role already collects into this database."""

    exit_code = EX_TEMPFAIL


def advisory_key(role: str, schema: str) -> int:
    """A stable signed 64-bit key for (role, schema)."""
    digest = hashlib.sha256(f"omc-daemon:{role}:{schema}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class CollectorLock:
    """Acquire once with :meth:`acquire`; check with :meth:`verify`; :meth:`release` at exit."""

    def __init__(self, engine: Engine, role: str) -> None:
        self.engine = engine
        self.role = role
        self._mutex = threading.Lock()
        self._connection: Connection | None = None
        self._file: IO[str] | None = None
        self._key: int | None = None

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def lock_path(self) -> Path:
        database = self.engine.url.database or "omc.sqlite3"
        return Path(f"{database}.{self.role}.lock")

    def acquire(self) -> None:
        """Take the lock or raise :class:`CollectorAlreadyRunning`."""
        with self._mutex:
            if self.is_postgres:
                self._acquire_postgres()
            else:
                self._acquire_file()

    def _refuse(self) -> CollectorAlreadyRunning:
        return CollectorAlreadyRunning(
            f"another {self.role} daemon already runs against this database "
            "(it holds the lock); stop it first (`omc collect stop` on its host)"
        )

    def _acquire_postgres(self) -> None:
        connection = self.engine.connect()
        try:
            if self._key is None:
                schema = connection.execute(sa.text("SELECT current_schema()")).scalar_one()
                self._key = advisory_key(self.role, str(schema))
            taken = connection.execute(
                sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self._key}
            ).scalar_one()
            connection.commit()
        except BaseException:
            connection.close()
            raise
        if not taken:
            connection.close()
            raise self._refuse()
        self._connection = connection

    def _acquire_file(self) -> None:
        path = self.lock_path()
        handle = path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise self._refuse() from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def verify(self) -> bool:
        """True while the lock is held; reconnects and re-takes a PostgreSQL lock that was lost.

        Raises :class:`CollectorAlreadyRunning` if another daemon took it meanwhile; returns
        False if the database cannot be reached right now (the caller skips this round).
        """
        if not self.is_postgres:
            return self._file is not None
        with self._mutex:
            if self._connection is not None:
                try:
                    self._connection.execute(sa.text("SELECT 1"))
                    self._connection.commit()
                    return True
                except sa.exc.DBAPIError:
                    log.warning("lost the database connection holding the collector lock")
                    self._close_connection()
            try:
                self._acquire_postgres()
            except sa.exc.DBAPIError as error:
                log.warning("cannot re-take the collector lock yet: %s", type(error).__name__)
                return False
            log.info("re-took the collector lock after reconnecting")
            return True

    def _close_connection(self) -> None:
        if self._connection is not None:
            try:
                self._connection.invalidate()
                self._connection.close()
            except sa.exc.DBAPIError:
                pass
            self._connection = None

    def release(self) -> None:
        with self._mutex:
            if self._connection is not None:
                try:
                    self._connection.execute(
                        sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self._key}
                    )
                    self._connection.commit()
                    self._connection.close()
                except sa.exc.DBAPIError:
                    self._close_connection()
                self._connection = None
            if self._file is not None:
                fcntl.flock(self._file, fcntl.LOCK_UN)
                self._file.close()
                self._file = None
