"""The recipe end to end on real BTC history, on SQLite and PostgreSQL: an algorithm is made,
listed, reported, backtested as algo:NAME, passes the lookahead check and reproduces exactly."""

from __future__ import annotations

import itertools
import json

import pytest

from tests.lab.conftest import environment

pytest.importorskip("omc.lab.sandbox")


@pytest.fixture
def omc(cli, made):
    url, home, _ = made

    def invoke(*args: str):
        return cli(*args, env=environment(url, home))

    return invoke


def test_the_recipe_stores_a_draft_with_its_whole_evaluation(made):
    _, home, output = made
    assert output["algorithm"] == "algo:btc-month@1"
    assert output["status"] == "draft"
    evaluation = output["evaluation"]
    assert evaluation["config"]["trials"] == 8
    assert evaluation["config"]["horizon_bars"] == 6
    assert evaluation["config"]["embargo_bars"] == 6  # one horizon by default
    assert len(evaluation["trials"]) == 8
    assert evaluation["deflated_sharpe"]["trials"] == 8
    assert evaluation["pbo"]["candidates"] == 8
    assert 0.0 <= evaluation["pbo"]["probability"] <= 1.0
    assert evaluation["lookahead"]["passed"] is True
    assert len(evaluation["folds"]) == 3
    assert {row["feature"] for row in evaluation["importance"]} >= {"rsi_14", "macd"}
    folds = evaluation["folds"]
    for earlier, later in itertools.pairwise(folds):
        assert earlier["test_to"] < later["test_from"]
    assert (home / "artifacts" / "btc-month" / "v1" / "report.png").read_bytes()[:4] == b"\x89PNG"


def test_list_show_and_report(omc):
    listed = json.loads(omc("algo", "list", "--json").stdout)
    assert [row["algorithm"] for row in listed] == ["algo:btc-month@1"]
    assert listed[0]["trials"] == 8
    shown = json.loads(omc("algo", "show", "btc-month@1", "--json").stdout)
    assert shown["label"]["horizon_seconds"] == 6 * 3600
    assert {artifact["kind"] for artifact in shown["artifacts"]} == {
        "model",
        "report_markdown",
        "report_png",
    }
    report = omc("algo", "report", "btc-month")
    assert report.exit_code == 0
    assert "# btc-month v1 (draft)" in report.stdout
    assert "Deflated Sharpe ratio (8 trials)" in report.stdout
    assert "plot: " in report.stdout
    as_json = json.loads(omc("algo", "report", "btc-month", "--json").stdout)
    assert as_json["plot"].endswith("btc-month/v1/report.png")
    assert as_json["markdown"].startswith("# btc-month v1")


def test_backtest_run_and_check_take_the_algorithm_by_name(omc):
    run = omc("backtest", "run", "algo:btc-month", "--coin", "BTC", "--quote", "USDT", "--json")
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert data["strategy"] == "algo:btc-month@1"
    assert data["buy_and_hold"]["bars"] == data["metrics"]["bars"] == 744
    check = omc("backtest", "check", "algo:btc-month@1", "--coin", "BTC", "--quote", "USDT",
                "--truncations", "8")  # fmt: skip
    assert check.exit_code == 0, check.output
    assert "passed: no signal changed" in check.stdout
    walk = omc("backtest", "walk-forward", "algo:btc-month", "--coin", "BTC", "--quote", "USDT",
               "--train", "7d", "--test", "7d", "--json")  # fmt: skip
    assert walk.exit_code == 0, walk.output
    assert json.loads(walk.stdout)["strategy"] == "algo:btc-month@1"


def test_reproduce_refits_and_matches_exactly(omc):
    result = omc("algo", "reproduce", "btc-month@1", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["exact"] is True
    assert data["largest_prediction_difference"] == 0.0
    assert data["predictions_compared"] > 400


def test_a_tampered_model_file_is_refused_with_one_line(omc, made):
    _, home, _ = made
    [model] = (home / "artifacts" / "btc-month" / "v1").glob("model.*")
    original = model.read_bytes()
    model.write_bytes(original + b"\0")
    try:
        result = omc("backtest", "run", "algo:btc-month", "--coin", "BTC", "--quote", "USDT")
    finally:
        model.write_bytes(original)
    assert result.exit_code == 65
    assert "does not match its recorded sha256" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_algorithms_and_versions_are_one_line_errors(omc):
    unknown = omc("algo", "show", "nope")
    assert unknown.exit_code == 64
    assert "Unknown algorithm 'nope'; stored algorithms: btc-month" in unknown.stderr
    version = omc("backtest", "run", "algo:btc-month@9", "--coin", "BTC", "--quote", "USDT")
    assert version.exit_code == 64
    assert "has no version 9; its versions are: 1" in version.stderr


def test_too_little_data_for_the_horizon_and_folds_says_how_much_is_needed(omc):
    result = omc("lab", "recipe", "--coin", "BTC", "--quote", "USDT", "--horizon", "3d",
                 "--folds", "10", "--trials", "2")  # fmt: skip
    assert result.exit_code == 65
    assert "Too little data" in result.stderr
    assert "need at least 3168 bars (about 132 days of bars)" in result.stderr


def test_retire_keeps_the_version_but_drops_it_from_the_list(omc):
    assert omc("algo", "retire", "btc-month@1").exit_code == 0
    assert json.loads(omc("algo", "list", "--json").stdout) == []
    assert json.loads(omc("algo", "list", "--all", "--json").stdout)[0]["status"] == "retired"


def test_the_recipe_records_its_session_and_the_algorithm_points_back_to_it(made):
    import uuid

    from omc.db import make_engine, session_scope
    from omc.lab.algorithms import find_algorithm
    from omc.lab.models import AgentSession

    url, _, output = made
    engine = make_engine(url)
    try:
        with session_scope(engine) as session:
            record = session.get(AgentSession, uuid.UUID(output["session_id"]))
            assert record is not None
            assert (record.kind, record.status) == ("recipe", "completed")
            assert record.result == {"algorithm": "algo:btc-month@1"}
            assert record.finished_at is not None
            assert find_algorithm(session, "btc-month@1").session_id == record.id
    finally:
        engine.dispose()
