"""CoinSpot nonces that always increase: across threads, processes, restarts and a clock set
backwards.

Each nonce is ``max(last + 1, now in milliseconds)``, raised in one atomic UPDATE of the key's
``coinspot_nonces`` row (a persisted high-water mark) and committed before the request leaves.
Allocation alone is not enough: CoinSpot must also *receive* them in order, so a send lock is
held from allocation until the answer (or the timeout): a thread lock, plus a PostgreSQL
advisory lock or, on SQLite, an exclusive ``flock`` on a file beside the database.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.db import UTCDateTime
from omc.floor.models import CoinspotNonce

_THREAD_LOCKS: dict[str, threading.Lock] = {}
_THREAD_LOCKS_GUARD = threading.Lock()


def key_fingerprint(api_key: str) -> str:
    """A stable name for a key that reveals nothing useful about it."""
    return hashlib.sha256(b"omc-coinspot-nonce:" + api_key.encode()).hexdigest()[:32]


def _thread_lock(name: str) -> threading.Lock:
    with _THREAD_LOCKS_GUARD:
        return _THREAD_LOCKS.setdefault(name, threading.Lock())


@functools.cache
def _statements() -> tuple[sa.Update, None]:
    """``last_nonce = max(last_nonce + 1, now)`` for one key, returning the new value."""
    table = CoinspotNonce.__table__
    now_ms = sa.bindparam("now_ms", type_=sa.BigInteger())
    raised = sa.case((table.c.last_nonce + 1 > now_ms, table.c.last_nonce + 1), else_=now_ms)
    update = (
        sa.update(table)
        .where(table.c.key_fingerprint == sa.bindparam("fingerprint"))
        .values(last_nonce=raised, updated_at=sa.bindparam("stamp", type_=UTCDateTime()))
        .returning(table.c.last_nonce)
    )
    return update, None


def _milliseconds() -> int:
    return time.time_ns() // 1_000_000


class NonceSource:
    """Hands out nonces for one key, each under the send lock (use :meth:`next` as a context)."""

    def __init__(
        self,
        engine: Engine,
        fingerprint: str,
        *,
        clock_ms: Callable[[], int] = _milliseconds,
    ) -> None:
        self.engine = engine
        self.fingerprint = fingerprint
        self.clock_ms = clock_ms

    @contextlib.contextmanager
    def next(self) -> Iterator[int]:
        """Hold the send lock, allocate and commit the next nonce, and yield it."""
        with _thread_lock(self.fingerprint):
            if self.engine.dialect.name == "postgresql":
                # One connection holds the advisory lock and raises the mark: one commit.
                key = int(self.fingerprint[:15], 16)
                with self.engine.connect() as connection:
                    connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), {"key": key})
                    try:
                        yield self._allocate(connection)
                    finally:
                        connection.rollback()
                        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                        connection.commit()
                return
            with self._file_lock():
                yield self._allocate(None)

    def _allocate(self, connection: sa.Connection | None) -> int:
        table = CoinspotNonce.__table__
        raise_nonce, _ = _statements()
        now_ms = int(self.clock_ms())
        stamp = dt.datetime.now(dt.UTC)
        params = {"fingerprint": self.fingerprint, "now_ms": now_ms, "stamp": stamp}
        for _ in range(3):
            value = self._in_transaction(connection, lambda c: c.execute(raise_nonce, params))
            if value is not None:
                return int(value)
            insert = sa.insert(table).values(
                key_fingerprint=self.fingerprint, last_nonce=now_ms, updated_at=stamp
            )
            try:
                self._in_transaction(connection, lambda c, statement=insert: c.execute(statement))
                return now_ms
            except sa.exc.IntegrityError:
                continue  # another process created the row first: raise it instead
        raise RuntimeError("could not allocate a CoinSpot nonce")  # pragma: no cover

    def _in_transaction(self, connection: sa.Connection | None, work: Any) -> Any:
        """Run ``work`` and commit: on ``connection`` (already locked) or a new one."""
        if connection is None:
            with self.engine.begin() as fresh:
                result = work(fresh)
                return result.scalar() if result.returns_rows else None
        try:
            result = work(connection)
            value = result.scalar() if result.returns_rows else None
            connection.commit()
            return value
        except BaseException:
            connection.rollback()
            raise

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        database = self.engine.url.database
        if not database or database == ":memory:":
            yield
            return
        import fcntl

        path = Path(f"{database}.coinspot-{self.fingerprint[:12]}.lock")
        with path.open("a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
