"""Shared fixtures: an isolated environment per test, real SQLite and PostgreSQL, real Redis.

Storage fixtures are parametrised over both databases. PostgreSQL isolation is a fresh schema
(``search_path``) per test or per run; SQLite is a file in the test's temporary directory.
Under ``CI=true`` a missing PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

POSTGRES_URL = os.environ.get(
    "OMC_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("OMC_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
IN_CI = os.environ.get("CI", "").lower() == "true"


def _find_shared() -> Path:
    if os.environ.get("OMC_SHARED_DIR"):
        return Path(os.environ["OMC_SHARED_DIR"])
    for candidate in (Path(__file__).resolve().parents[2] / "shared", Path("/work/shared")):
        if candidate.is_dir():
            return candidate
    return Path(__file__).resolve().parents[2] / "shared"


SHARED = _find_shared()

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error})"
    if IN_CI:
        pytest.fail(f"{message}; under CI=true these tests must run", pytrace=False)
    pytest.skip(message)


@pytest.fixture(autouse=True)
def isolated_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No test reads the developer's config, home or database."""
    for name in list(os.environ):
        if (
            name.startswith("OMC_")
            and not name.startswith("OMC_TEST_")
            and name != "OMC_SHARED_DIR"
        ):
            monkeypatch.delenv(name)
    home = tmp_path / "omc-home"
    monkeypatch.setenv("OMC_HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("OMC_SYSTEM_CONFIG", str(tmp_path / "etc" / "omc" / "config.toml"))
    monkeypatch.setenv("OMC_USER", "tester")
    return home


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The PostgreSQL admin URL, checked to answer."""
    from omc.db import check_connection, make_engine
    from omc.errors import DatabaseUnreachable

    engine = make_engine(POSTGRES_URL)
    try:
        check_connection(engine)
    except DatabaseUnreachable as error:
        _unavailable("PostgreSQL", error)
    finally:
        engine.dispose()
    return POSTGRES_URL


class PostgresSchemas:
    """Creates throw-away schemas and URLs that put them first on the search path."""

    def __init__(self, admin_url: str) -> None:
        from omc.db import make_engine

        self._engine = make_engine(admin_url)
        self._admin_url = admin_url
        self._created: list[str] = []

    def create(self) -> str:
        import sqlalchemy as sa

        name = f"omc_test_{uuid.uuid4().hex[:12]}"
        with self._engine.begin() as connection:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        self._created.append(name)
        separator = "&" if "?" in self._admin_url else "?"
        return f"{self._admin_url}{separator}options={quote(f'-csearch_path={name}')}"

    def drop(self, url: str) -> None:
        """Drop the schema behind ``url`` in its own transaction (few locks at a time)."""
        import sqlalchemy as sa

        name = url.rsplit("search_path%3D", 1)[-1]
        if name in self._created:
            self._created.remove(name)
            with self._engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))

    def drop_all(self) -> None:
        import sqlalchemy as sa

        # One transaction per schema: dropping them all at once takes a lock per object and
        # runs out of PostgreSQL's shared lock table once a run has made a hundred schemas.
        for name in list(self._created):
            with self._engine.begin() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        self._created.clear()
        self._engine.dispose()


@pytest.fixture(scope="session")
def postgres_schemas(postgres_server: str) -> Iterator[PostgresSchemas]:
    schemas = PostgresSchemas(postgres_server)
    yield schemas
    schemas.drop_all()


def _empty_database_url(kind: str, directory: Path, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        directory.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{directory / f'test-{uuid.uuid4().hex[:8]}.sqlite3'}"
    return request.getfixturevalue("postgres_schemas").create()


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables) on SQLite or PostgreSQL."""
    url = _empty_database_url(request.param, tmp_path / "db", request)
    yield url
    if request.param == "postgresql":
        request.getfixturevalue("postgres_schemas").drop(url)


@pytest.fixture
def engine(database_url: str):
    """A fresh database migrated to head; data is committed for real (use for CLI tests)."""
    from omc import schema
    from omc.db import make_engine

    engine = make_engine(database_url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def shared_engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """One database per run and dialect, migrated once; use through ``session``."""
    from omc import schema
    from omc.db import make_engine

    url = _empty_database_url(request.param, tmp_path_factory.mktemp("shared-db"), request)
    engine = make_engine(url)
    schema.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(shared_engine):
    """A session whose every write, commits included, is rolled back after the test."""
    from sqlmodel import Session

    connection = shared_engine.connect()
    transaction = connection.begin()
    db_session = Session(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()


@pytest.fixture
def redis_url() -> str:
    """The Redis URL, checked to answer."""
    from omc.cache import ping_redis
    from omc.errors import ServiceUnavailable

    try:
        ping_redis(REDIS_URL)
    except ServiceUnavailable as error:
        _unavailable("Redis", error)
    return REDIS_URL


@pytest.fixture
def redis_prefix(redis_url: str) -> Iterator[str]:
    """A key prefix this test owns; its keys are deleted afterwards."""
    from omc.cache import redis_client

    prefix = f"omc-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    client = redis_client(redis_url)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """Run ``omc`` through Typer's CliRunner: ``cli("status", "--json", env={...})``."""
    from typer.testing import CliRunner

    from omc.cli.main import app

    runner = CliRunner()
    monkeypatch.setenv("COLUMNS", "200")  # one line per help entry, so tests can read them

    def invoke(*args: str, env: dict[str, str] | None = None, input: str | None = None):
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        return runner.invoke(app, list(args), input=input, catch_exceptions=False)

    return invoke


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` beside the repository: recorded API responses and real price history."""
    if not SHARED.is_dir():
        pytest.fail(f"shared test data not found at {SHARED}; set OMC_SHARED_DIR")
    return SHARED
