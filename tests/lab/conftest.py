"""A market database per dialect holding one real month of hourly BTC/USDT (imported from
../shared/data with `omc data import`'s own function), and a recipe run on it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

MONTH_FILE = "data/binance_vision_BTCUSDT-1h-2022-01.csv.gz"  # 744 hourly bars, 2022-01
DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
RECIPE_ARGUMENTS = (
    "lab", "recipe", "--coin", "BTC", "--quote", "USDT", "--horizon", "6h", "--trials", "8",
    "--folds", "3", "--name", "btc-month", "--json",
)  # fmt: skip


def environment(url: str, home: Path) -> dict[str, str]:
    return {
        "OMC_DATABASE_URL": url,
        "OMC_HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "OMC_SYSTEM_CONFIG": str(home / "etc.toml"),
        "OMC_USER": "tester",
        "OMC_LAB__PARALLEL_JOBS": "1",
        "COLUMNS": "200",
    }


@pytest.fixture(scope="module", params=DATABASES)
def month_market(request, tmp_path_factory, shared_dir):
    """(database URL, OMC_HOME) with the month imported."""
    from omc import schema
    from omc.db import make_engine
    from omc.ledgers.history.importer import import_file

    home = tmp_path_factory.mktemp("lab-home")
    if request.param == "sqlite":
        url = f"sqlite:///{home / 'omc.sqlite3'}"
    else:
        url = request.getfixturevalue("postgres_schemas").create()
    engine = make_engine(url)
    schema.upgrade(engine)
    import_file(engine, shared_dir / MONTH_FILE, coin="BTC", quote="USDT")
    engine.dispose()
    return url, home


@pytest.fixture(scope="module")
def made(month_market):
    """The recipe run once through the CLI: (url, home, its --json output)."""
    from typer.testing import CliRunner

    from omc.cli.main import app

    url, home = month_market
    result = CliRunner().invoke(
        app, list(RECIPE_ARGUMENTS), env=environment(url, home), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    return url, home, json.loads(result.stdout)
