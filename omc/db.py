"""Engines, sessions and the column types every domain's tables use.

One engine factory serves both databases: SQLite (the embedded default: WAL, foreign keys,
a busy timeout) and PostgreSQL through psycopg 3 (with a connect timeout, so an unreachable
server is an error in seconds, not a hang). Sessions are always passed explicitly; nothing here
builds an engine at import time.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from sqlmodel import SQLModel

from omc.errors import ConfigProblem, DatabaseUnreachable
from omc.settings import SUPPORTED_DATABASE_SCHEMES, mask_url

SQLITE_BUSY_TIMEOUT_MS = 10_000
POSTGRES_CONNECT_TIMEOUT_S = 5

# Deterministic constraint names, so Alembic migrations (and SQLite batch mode) can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION


class UTCDateTime(sa.TypeDecorator[dt.datetime]):
    """A timezone-aware UTC timestamp on every dialect.

    PostgreSQL stores ``timestamptz``. SQLite has no time zones, so values are stored as naive
    UTC text (which sorts correctly) and come back aware. Naive input is taken as UTC.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, dt.datetime):
            raise TypeError(f"expected a datetime, got {type(value).__name__}")
        value = as_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return as_utc(value)


class _SQLiteText(sqlite.DATETIME):
    """SQLite's ``DATETIME`` column type (the same DDL) with no conversion of its own: the
    value is already the text to store."""

    def bind_processor(self, dialect: sa.Dialect) -> None:
        return None

    def result_processor(self, dialect: sa.Dialect, coltype: object) -> None:
        return None


class ISOUTCDateTime(UTCDateTime):
    """:class:`UTCDateTime` that SQLite stores as ISO 8601 text, exactly as
    ``datetime.isoformat`` writes a UTC time (``2024-01-01T00:00:00+00:00``, microseconds only
    when not zero), which is what the data tools return: reading it back needs no conversion.
    The text sorts in time order (a whole second's ``+`` sorts before a fraction's ``.``).
    PostgreSQL is unchanged (``timestamptz``). Used for ``price_data_5min.timestamp``, the
    column read on every agent's price query (see :func:`iso_text`).
    """

    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(_SQLiteText())
        return super().load_dialect_impl(dialect)

    def process_bind_param(self, value: dt.datetime | None, dialect: sa.Dialect) -> Any:
        value = super().process_bind_param(value, dialect)  # checked, UTC (naive on SQLite)
        if dialect.name == "sqlite" and value is not None:
            return iso_text(value)
        return value

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if isinstance(value, str):
            return dt.datetime.fromisoformat(value)
        return super().process_result_value(value, dialect)


def iso_text(value: dt.datetime) -> str:
    """``value`` (naive = UTC) as UTC ISO 8601 text, as :class:`ISOUTCDateTime` stores it."""
    return as_utc(value).isoformat()


class StringList(sa.TypeDecorator[list[str]]):
    """A list of strings: ``ARRAY(VARCHAR)`` on PostgreSQL, JSON on SQLite (seed §9.3)."""

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(sa.String()))
        return dialect.type_descriptor(sa.JSON())

    def process_bind_param(self, value: list[str] | None, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return [str(item) for item in value]

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        return None if value is None else list(value)


class Money(sa.TypeDecorator[Decimal]):
    """An exact decimal amount: ``NUMERIC(28, 10)``; always read back as ``Decimal``.

    SQLite keeps NUMERIC values as 64-bit floats internally, so amounts there are exact to about
    15 significant digits; PostgreSQL is exact to the declared precision.
    """

    impl = sa.Numeric(28, 10)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        # SQLite's driver does not take Decimal; its text form keeps every digit we can keep.
        return str(amount) if dialect.name == "sqlite" else amount

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Any:
        if value is None:
            return None
        return value if isinstance(value, Decimal) else Decimal(str(value))

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "sqlite":
            # Numeric affinity without SQLAlchemy's float->Decimal warning path.
            return dialect.type_descriptor(_SQLiteNumeric(28, 10))
        return dialect.type_descriptor(sa.Numeric(28, 10))


class _SQLiteNumeric(sa.types.UserDefinedType[Decimal]):
    cache_ok = True

    def __init__(self, precision: int, scale: int) -> None:
        self.precision = precision
        self.scale = scale

    def get_col_spec(self, **kw: Any) -> str:
        return f"NUMERIC({self.precision}, {self.scale})"


# A portable UUID column (native uuid on PostgreSQL, CHAR(32) on SQLite).
UUIDType = sa.Uuid


def as_utc(value: dt.datetime) -> dt.datetime:
    """Return ``value`` as an aware UTC datetime; a naive value is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def dialect_of(url: str) -> str:
    """``sqlite`` or ``postgresql`` for a supported URL; anything else is a configuration error."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme not in SUPPORTED_DATABASE_SCHEMES:
        raise ConfigProblem(
            f"unsupported database URL scheme {scheme or url!r}; "
            "use sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB"
        )
    return "sqlite" if SUPPORTED_DATABASE_SCHEMES[scheme] == "sqlite" else "postgresql"


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def make_engine(url: str, *, echo: bool = False) -> Engine:
    """Create an engine for a SQLite or PostgreSQL URL with omc's connection settings."""
    dialect = dialect_of(url)
    if dialect == "sqlite":
        url = "sqlite" + url[url.index("://") :] if url.startswith("sqlite+") else url
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    url = "postgresql+psycopg" + url[url.index("://") :]
    return sa.create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S},
    )


def check_connection(engine: Engine) -> None:
    """Open one connection, or raise :class:`DatabaseUnreachable` with a safe message."""
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "no answer"
        raise DatabaseUnreachable(
            f"cannot connect to the database {mask_url(engine.url.render_as_string())}: {reason}"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """A sessionmaker whose objects stay readable after commit (handy for CLI rendering)."""
    from sqlmodel import Session as SQLModelSession

    return sessionmaker(bind=engine, class_=SQLModelSession, expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    session = session_factory(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
