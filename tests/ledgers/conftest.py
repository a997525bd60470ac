"""Helpers for ledger tests: settings pointing at loopback servers, a fixed clock, no sleeping."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

T0 = dt.datetime(2026, 1, 9, 14, 31, 10, tzinfo=dt.UTC)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


class Sleeps(list):
    """Records requested sleeps instead of sleeping."""

    def __call__(self, seconds: float) -> None:
        self.append(round(seconds, 3))


def make_settings(home: Path, **market: Any):
    from omc.settings import MarketSettings, Settings

    return Settings(home=home, market=MarketSettings(**market))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_ctx(tmp_path, clock, sleeps):
    """``make_ctx(coinspot_url=…, watchlist=[…])`` → a CollectContext with an in-process cache."""
    from omc.cache import InProcessCache
    from omc.ledgers.source import CollectContext

    def build(cache=None, **market: Any):
        return CollectContext(
            settings=make_settings(tmp_path / "home", **market),
            clock=clock,
            sleep=sleeps,
            cache=cache if cache is not None else InProcessCache(),
        )

    return build


@pytest.fixture
def ledger_ctx(tmp_path, clock, sleeps):
    """``ledger_ctx(glass={…}, human={…}, catalyst={…}, market={…})`` → a CollectContext."""
    from omc.cache import InProcessCache
    from omc.ledgers.source import CollectContext
    from omc.settings import Settings

    def build(**sections: dict[str, Any]):
        market = {"http_attempts": 2, **sections.pop("market", {})}
        settings = Settings(home=tmp_path / "home", market=market, **sections)
        return CollectContext(settings=settings, clock=clock, sleep=sleeps, cache=InProcessCache())

    return build


@pytest.fixture
def silent_url():
    """A loopback URL whose server accepts connections and never answers (a timeout)."""
    import socket

    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def count_rows(engine, table) -> int:
    import sqlalchemy as sa

    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def table_rows(engine, table, order_by: str = "id") -> list[Any]:
    import sqlalchemy as sa

    with engine.connect() as connection:
        return list(connection.execute(sa.select(table).order_by(table.c[order_by])))
