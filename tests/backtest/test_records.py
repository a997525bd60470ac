"""`omc backtest walk-forward --save` and `omc backtest records`: a built-in strategy's stored
out-of-sample record, deflated by every candidate ever stored for its strategy and market."""

from __future__ import annotations

import json

import numpy as np
import pytest
import sqlalchemy as sa

from omc.backtest.metrics import bar_returns
from omc.lab.overfitting import deflated_sharpe_ratio
from tests.backtest.conftest import market_frame

SEARCH = ("backtest", "walk-forward", "sma_crossover", "--coin", "BTC", "--train", "5d",
          "--test", "5d", "--grid", "fast=5,10", "--grid", "slow=20,40")  # fmt: skip


@pytest.fixture
def run(cli, engine):
    from omc.ledgers.history.store import prepare, write_bars

    write_bars(engine, prepare(market_frame().reset_index(), "BTC", "AUD", "test", 3600))
    url = engine.url.render_as_string(hide_password=False)

    def invoke(*args: str):
        return cli(*args, env={"OMC_DATABASE_URL": url, "OMC_USER": "tester"})

    return invoke


def test_a_saved_walk_forward_is_stored_with_its_chosen_parameters_and_deflated_sharpe(run):
    result = run(*SEARCH, "--save", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    record = report["record"]
    assert record["strategy"] == "sma_crossover"
    assert record["market"] == "BTC/AUD"
    assert record["bar_seconds"] == 3600
    assert record["params"] == report["folds"][-1]["params"]  # what it would trade now
    assert record["candidates"] == record["trials"] == 4
    assert record["oos_trades"] == report["out_of_sample"]["trade_count"]
    assert record["oos_return"] == pytest.approx(report["out_of_sample"]["total_return"])
    assert 0.0 <= record["deflated_sharpe"] <= 1.0
    listed = json.loads(run("backtest", "records", "--json").stdout)["records"]
    assert [item["id"] for item in listed] == [record["id"]]


def test_the_stored_deflated_sharpe_is_the_stitched_returns_against_the_candidates(run, engine):
    from omc.backtest.records import WalkForwardRecord
    from omc.db import session_scope

    result = run(*SEARCH, "--save", "--json")
    report = json.loads(result.stdout)
    with session_scope(engine) as session:
        (stored,) = session.execute(sa.select(WalkForwardRecord)).scalars().all()
        sharpes = list(stored.candidate_sharpes)
    assert len(sharpes) == 4
    assert len(set(sharpes)) > 1  # four different candidates, four different records
    equity = np.array([value for _, value in _equity()], dtype=float)
    expected = deflated_sharpe_ratio(bar_returns(equity), sharpes)
    assert report["record"]["deflated_sharpe"] == pytest.approx(expected.deflated_sharpe)


def _equity() -> list[list]:
    """The stitched equity curve of the same search, run in-process (default costs, as the CLI's
    default settings)."""
    from omc.backtest.walk_forward import run_walk_forward

    frame = market_frame()
    result = run_walk_forward(
        frame, "sma_crossover", train="5D", test="5D", grid={"fast": [5, 10], "slow": [20, 40]}
    )
    return [[time, value] for time, value in result.out_of_sample_equity.items()]


def test_running_the_same_search_again_raises_the_bar_instead_of_clearing_it(run):
    first = json.loads(run(*SEARCH, "--save", "--json").stdout)["record"]
    second = json.loads(run(*SEARCH, "--save", "--json").stdout)["record"]
    assert second["params"] == first["params"]
    assert second["trials"] == 8  # both searches' candidates count
    assert second["deflated_sharpe"] < first["deflated_sharpe"]
    other_market = run("backtest", "records", "sma_crossover", "--coin", "ETH", "--json")
    assert json.loads(other_market.stdout)["records"] == []


def test_the_saved_record_line_says_what_the_live_gate_will_accept(run):
    result = run(*SEARCH, "--save")
    assert result.exit_code == 0, result.output
    last = " ".join(result.stdout.split()[-40:])
    assert "stored walk-forward record" in last
    assert "over 4 trials" in last
    assert "omc floor promote sma_crossover --coin BTC --quote AUD --interval 1h --param fast=" in (
        last
    )
    table = run("backtest", "records")
    assert table.exit_code == 0
    assert "sma_crossover" in table.stdout
    assert "BTC/AUD" in table.stdout


def test_an_algorithm_cannot_be_saved_as_a_strategy_record(run):
    result = run("backtest", "walk-forward", "algo:nothing", "--coin", "BTC", "--train", "5d",
                 "--test", "5d", "--save")  # fmt: skip
    assert result.exit_code == 64
    assert "--save is for built-in strategies" in result.output
    assert "Traceback" not in result.output
