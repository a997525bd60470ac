"""Bars for backtest tests: real price history from ../shared/data, read in place (never copied
into the repository) or imported through `omc data import`, and a small synthetic market
database. Databases are built once per run and dialect and only read by the tests."""

from pathlib import Path

import pandas as pd
import pytest

BTC_HOURLY_FILE = "data/binance_BTCUSDT_1h_2020-10_2025-10.csv.gz"
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]  # as tests/conftest


def read_binance_csv(path: Path) -> pd.DataFrame:
    """Bars indexed by UTC open time with open/high/low/close/volume columns."""
    bars = pd.read_csv(path, parse_dates=["open_time"], index_col="open_time")
    bars.index = bars.index.tz_localize("UTC")
    return bars


@pytest.fixture(scope="session")
def btc_hourly(shared_dir: Path) -> pd.DataFrame:
    """43,780 hourly Binance BTC/USDT bars, 2020-10 to 2025-10."""
    return read_binance_csv(shared_dir / BTC_HOURLY_FILE)


# --- Databases holding bars, built once per run and dialect (read-only for the tests) -------

MARKET_BARS = 600  # hourly synthetic BTC/AUD bars, 2020-01-01 00:00 to 2020-01-25 23:00
MARKET_SEED = 3


def market_frame() -> pd.DataFrame:
    """The synthetic bars the market database holds, exactly as the engine takes them."""
    from omc.backtest.synthetic import synthetic_bars

    return synthetic_bars(MARKET_BARS, minutes=60, seed=MARKET_SEED).rename_axis("timestamp")


@pytest.fixture
def market_bars() -> pd.DataFrame:
    """What the `market_url` database holds as BTC/AUD."""
    return market_frame()


def _new_database(kind: str, tmp_path_factory, request) -> str:
    from omc import schema
    from omc.db import make_engine

    if kind == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('bars-db') / 'bars.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_schemas").create()
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def _isolated_env(url: str, directory: Path) -> dict[str, str | None]:
    """Environment for a CLI run outside a test (session fixtures run before the autouse
    isolation): only this database, no developer config or home."""
    import os

    env: dict[str, str | None] = {
        name: None
        for name in os.environ
        if name.startswith("OMC_") and not name.startswith("OMC_TEST_")
    }
    env.update(
        OMC_DATABASE_URL=url,
        OMC_HOME=str(directory / "home"),
        XDG_CONFIG_HOME=str(directory / "config"),
        XDG_DATA_HOME=str(directory / "data"),
        OMC_SYSTEM_CONFIG=str(directory / "etc" / "config.toml"),
    )
    return env


@pytest.fixture(scope="session", params=DATABASES)
def market_url(request, tmp_path_factory) -> str:
    """A database with `market_frame()` as BTC/AUD, written by issue 3's bulk bar writer."""
    from omc.db import make_engine
    from omc.ledgers.history.store import prepare, write_bars

    url = _new_database(request.param, tmp_path_factory, request)
    frame = market_frame().reset_index()
    engine = make_engine(url)
    write_bars(engine, prepare(frame, "BTC", "AUD", "test", 3600))
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def imported_btc_hourly(request, tmp_path_factory, shared_dir: Path):
    """`imported_btc_hourly("sqlite")` → the URL of a database holding the real BTC/USDT hourly
    history, imported through `omc data import` once per dialect per run."""
    from typer.testing import CliRunner

    from omc.cli.main import app

    btc_hourly_file = shared_dir / BTC_HOURLY_FILE
    urls: dict[str, str] = {}

    def imported(kind: str) -> str:
        if kind not in urls:
            url = _new_database(kind, tmp_path_factory, request)
            directory = tmp_path_factory.mktemp(f"import-{kind}")
            result = CliRunner(env=_isolated_env(url, directory)).invoke(
                app,
                [
                    "data",
                    "import",
                    str(btc_hourly_file),
                    "--coin",
                    "BTC",
                    "--quote",
                    "USDT",
                    "--json",
                ],
                catch_exceptions=False,
            )
            assert result.exit_code == 0, result.output
            urls[kind] = url
        return urls[kind]

    return imported
