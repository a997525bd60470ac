"""A recipe algorithm on the floor: replayed with the backtest's trades on real bars, promoted to
paper by name and version, refused live with its own record's numbers."""

from __future__ import annotations

import json

import pytest

from tests.lab.conftest import RECIPE_ARGUMENTS, environment

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def recipe(tmp_path_factory, shared_dir):
    """A SQLite database with a real month of BTC/USDT and the recipe's algorithm `btc-month`."""
    from typer.testing import CliRunner

    from omc import schema
    from omc.cli.main import app
    from omc.db import make_engine
    from omc.ledgers.history.importer import import_file
    from tests.lab.conftest import MONTH_FILE

    home = tmp_path_factory.mktemp("floor-algo")
    url = f"sqlite:///{home / 'omc.sqlite3'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    import_file(engine, shared_dir / MONTH_FILE, coin="BTC", quote="USDT")
    engine.dispose()
    made = CliRunner().invoke(
        app, list(RECIPE_ARGUMENTS), env=environment(url, home), catch_exceptions=False
    )
    assert made.exit_code == 0, made.output
    return environment(url, home)


def test_replay_of_a_recipe_algorithm_makes_the_backtests_trades(cli, recipe):
    common = ["algo:btc-month", "--coin", "BTC", "--quote", "USDT", "--json"]
    replayed = cli("floor", "replay", *common, "--limit", "max_drawdown=1", "--limit",
                   "daily_loss_limit=1", env=recipe)  # fmt: skip
    assert replayed.exit_code == 0, replayed.output
    backtest = cli("backtest", "run", *common, env=recipe)
    assert backtest.exit_code == 0, backtest.output
    ours, theirs = json.loads(replayed.output), json.loads(backtest.output)
    assert ours["target"] == "algo:btc-month@1"
    assert ours["matches_backtest"] is True, ours["differences"][:2]
    assert len(ours["fills"]) == ours["backtest_fills"]
    assert [fill["time"] for fill in ours["fills"] if fill["side"] == "buy"] == [
        trade["entry_time"] for trade in theirs["trades"]
    ]


def test_a_recipe_algorithm_is_promoted_to_paper_by_version_and_refused_live(cli, recipe):
    promoted = cli("floor", "promote", "algo:btc-month", "--coin", "BTC", "--quote", "USDT",
                   "--json", env=recipe)  # fmt: skip
    assert promoted.exit_code == 0, promoted.output
    view = json.loads(promoted.output)
    assert view["target"] == "algo:btc-month@1"
    live = cli("floor", "promote", "algo:btc-month@1", "--coin", "BTC", "--quote", "USDT",
               "--live", "--yes", env=recipe)  # fmt: skip
    assert live.exit_code == 77
    text = " ".join(live.output.split())
    assert "out_of_sample (status draft" in text  # a draft: the recipe does not validate
    assert "paper_days (" in text
