"""`omc backtest` through the real CLI on SQLite and PostgreSQL data: exact output, files written,
settings used, and one clear line with a meaningful exit code for every bad input."""

import json

import numpy as np
import pytest

from omc.strategies import Strategy, list_strategies, register_strategy
from omc.strategies.registry import unregister_strategy

HEADER = (
    "sma_crossover (fast=5 slow=20) on BTC/AUD: 600 bars from 2020-01-01 00:00 to 2020-01-25 23:00"
)


@pytest.fixture
def run(cli, market_url):
    """`run("backtest", "run", …)` against the market database."""

    def invoke(*args: str, env: dict[str, str] | None = None):
        return cli(*args, env={"OMC_DATABASE_URL": market_url, **(env or {})})

    return invoke


def test_list_json_describes_every_strategy_with_typed_ranged_parameters(cli):
    result = cli("backtest", "list", "--json")
    assert result.exit_code == 0
    described = json.loads(result.stdout)
    assert described == [strategy.describe() for strategy in list_strategies()]
    sma = next(item for item in described if item["name"] == "sma_crossover")
    assert sma["parameters"][0] == {
        "name": "fast",
        "type": "int",
        "default": 20,
        "minimum": 2,
        "maximum": 1000,
        "description": "bars in the fast moving average",
    }


def test_list_table_shows_each_parameter_with_default_and_range(cli):
    result = cli("backtest", "list")
    assert result.exit_code == 0
    lines = [" ".join(line.strip("│ ").split()) for line in result.stdout.splitlines()]
    assert "period │ int │ 14 │ 2 to 500 │ bars in Wilder's RSI" in lines
    for strategy in list_strategies():
        assert any(line.startswith(strategy.name) for line in lines), strategy.name


def test_run_prints_metrics_beside_buy_and_hold_and_a_sparkline(run):
    result = run("backtest", "run", "sma_crossover", "--coin", "btc", "--param", "fast=5",
                 "--param", "slow=20")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == HEADER
    assert lines[1] == "fee 1% per fill, slippage 0 bps, starting cash 10,000.00"
    assert "┃ metric                ┃ sma_crossover ┃ buy and hold ┃" in lines
    assert "│ final equity          │      7,888.85 │    12,600.18 │" in lines
    assert "│ trades                │   21 (1 open) │   1 (1 open) │" in lines
    assert "│ fees paid             │      3,572.39 │        99.01 │" in lines
    equity_line = next(line for line in lines if line.startswith("equity"))
    assert len(equity_line.split()[1]) == 60
    assert result.stderr == ""


def test_run_json_matches_the_library_on_the_same_bars(run, market_bars):
    from omc.backtest.runner import run_backtest

    result = run("backtest", "run", "sma_crossover", "--coin", "BTC", "--quote", "AUD",
                 "--param", "fast=5", "--param", "slow=20", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    expected = run_backtest(market_bars, "sma_crossover", {"fast": 5, "slow": 20})
    assert report["bars"] == {
        "market": "BTC/AUD",
        "first": "2020-01-01T00:00:00+00:00",
        "last": "2020-01-25T23:00:00+00:00",
        "bars": 600,
    }
    assert report["params"] == {"fast": 5, "slow": 20}
    assert report["costs"] == {"fee_rate": 0.01, "slippage_bps": 0.0, "minimum_order_value": 0.0}
    assert report["metrics"]["final_equity"] == pytest.approx(expected.metrics.final_equity)
    assert report["buy_and_hold"]["final_equity"] == pytest.approx(expected.benchmark.final_equity)
    assert len(report["trades"]) == 21


def test_cost_settings_are_the_defaults_and_flags_override_them(run):
    args = ("backtest", "run", "buy_and_hold", "--coin", "BTC", "--json")
    from_settings = run(*args, env={"OMC_BACKTEST__FEE_RATE": "0.001",
                                    "OMC_BACKTEST__INITIAL_CASH": "500"})  # fmt: skip
    assert from_settings.exit_code == 0, from_settings.output
    report = json.loads(from_settings.stdout)
    assert report["costs"]["fee_rate"] == 0.001
    assert report["metrics"]["initial_equity"] == 500.0
    overridden = json.loads(
        run(*args, "--fee", "0.002", "--slippage-bps", "5", "--cash", "900").stdout
    )
    assert overridden["costs"] == {
        "fee_rate": 0.002,
        "slippage_bps": 5.0,
        "minimum_order_value": 0.0,
    }
    assert overridden["metrics"]["initial_equity"] == 900.0


def test_run_writes_the_trades_csv_and_the_equity_plot(run, tmp_path):
    trades, plot = tmp_path / "trades.csv", tmp_path / "equity.png"
    result = run("backtest", "run", "sma_crossover", "--coin", "BTC", "--param", "fast=5",
                 "--param", "slow=20", "--trades", str(trades), "--plot", str(plot))  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-2:] == [
        f"trades written to {trades}",
        f"plot written to {plot}",
    ]
    rows = trades.read_text().splitlines()
    assert rows[0] == "entry_time,exit_time,entry_price,exit_price,size,fees,profit,return,open"
    assert len(rows) == 22
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_walk_forward_prints_folds_and_stitched_out_of_sample_metrics(run):
    result = run("backtest", "walk-forward", "sma_crossover", "--coin", "BTC", "--train", "5d",
                 "--test", "5d", "--grid", "fast=5,10", "--grid", "slow=20,40")  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [line.rstrip() for line in result.stdout.splitlines()]
    assert lines[0] == (
        "sma_crossover walk-forward on BTC/AUD: 600 bars from 2020-01-01 00:00 to "
        "2020-01-25 23:00; 4 parameter sets chosen by sharpe"
    )
    assert (
        "    1  2020-01-06  fast=5 slow=20        -13.54  -7.14%  -10.17   -7.90%       6" in lines
    )
    assert (
        "    4  2020-01-21  fast=5 slow=20         -2.55  -5.52%   -7.50  -13.40%       5" in lines
    )
    assert "stitched out-of-sample" in lines
    assert "│ final equity          │      8,516.18 │" in lines


def test_walk_forward_json_has_each_fold_and_the_out_of_sample_record(run):
    result = run("backtest", "walk-forward", "sma_crossover", "--coin", "BTC", "--train", "5d",
                 "--test", "5d", "--embargo", "12h", "--anchored", "--random", "6",
                 "--range", "fast=3,10", "--range", "slow=20,60", "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["candidates"] == 6
    assert len(report["folds"]) == 4
    assert all(fold["train"][0] == "2020-01-01T00:00:00+00:00" for fold in report["folds"])
    assert report["folds"][0]["test"][0] == "2020-01-06T12:00:00+00:00"
    assert report["out_of_sample"]["bars"] > 0


def test_check_passes_a_builtin_strategy_on_synthetic_bars_without_a_database(cli):
    result = cli("backtest", "check", "sma_crossover", "--truncations", "10")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "sma_crossover (fast=20 slow=100) on synthetic: 5000 bars, 10 truncations, "
        "25,496 bar signals compared",
        "passed: no signal changed when later data was added",
    ]


class PeeksAtTheNextClose(Strategy):
    """Long when the next bar closes higher: uses data from the future."""

    name = "test_peeking"
    description = "A strategy that peeks."

    def targets(self, bars, params, features=None):
        close = bars["close"].to_numpy()
        upcoming = np.append(close[1:], close[-1])
        return (upcoming > close).astype(float)


@pytest.fixture
def peeking_strategy():
    strategy = register_strategy(PeeksAtTheNextClose())
    yield strategy
    unregister_strategy(strategy.name)


def test_check_fails_with_exit_1_and_lists_the_bars_of_a_strategy_that_peeks(run, peeking_strategy):
    result = run("backtest", "check", "test_peeking", "--coin", "BTC", "--truncations", "5")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("test_peeking (defaults) on BTC/AUD: 600 bars, 5 truncations")
    assert lines[1].startswith("FAILED: ")
    assert lines[1].endswith(
        " bars have signals that change when later data is added (the strategy peeks)"
    )


def test_check_json_reports_the_violations(run, peeking_strategy):
    result = run("backtest", "check", "test_peeking", "--coin", "BTC", "--json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["passed"] is False
    assert report["violations"][0]["truncated_at"] == report["violations"][0]["bar_time"]


@pytest.mark.parametrize("command", ["list", "run", "walk-forward", "check"])
def test_every_backtest_command_has_help_with_examples(cli, command):
    result = cli("backtest", command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout


@pytest.mark.parametrize(
    ("args", "exit_code", "message"),
    [
        (["run", "no_such", "--coin", "BTC"], 64,
         "Unknown strategy 'no_such'; available strategies: bollinger_breakout, buy_and_hold, "
         "ema_crossover, momentum, rsi_mean_reversion, sma_crossover."),
        (["run", "sma_crossover", "--coin", "BTC", "--param", "speed=3"], 64,
         "Unknown parameter 'speed' for sma_crossover; its parameters are: fast, slow."),
        (["run", "sma_crossover", "--coin", "BTC", "--param", "fast=1"], 64,
         "Parameter 'fast' of sma_crossover must be between 2 and 1000, got 1."),
        (["run", "sma_crossover", "--coin", "BTC", "--param", "fast=ten"], 64,
         "Parameter 'fast' of sma_crossover must be a whole number, got 'ten'."),
        (["run", "sma_crossover", "--coin", "BTC", "--param", "fast"], 64,
         "invalid --param 'fast': use NAME=VALUE, e.g. fast=20"),
        (["run", "sma_crossover", "--coin", "DOGE"], 65,
         "No price bars for DOGE: import or backfill its history first "
         "(omc data import, omc data backfill)."),
        (["run", "sma_crossover", "--coin", "BTC", "--quote", "USDT"], 65,
         "No price bars for BTC/USDT; BTC has bars quoted in AUD."),
        (["run", "sma_crossover", "--coin", "BTC", "--since", "2021-01-01"], 65,
         "No BTC/AUD price bars since 2021-01-01; the data has 600 bars "
         "from 2020-01-01 to 2020-01-25 23:00."),
        (["run", "sma_crossover", "--coin", "BTC", "--since", "2020-01-25"], 65,
         "Strategy sma_crossover (fast=20, slow=100) needs at least 101 bars; the data has 24."),
        (["run", "sma_crossover", "--coin", "BTC", "--since", "last week"], 64,
         "invalid --since 'last week': use an ISO date like 2024-01-31 or a duration like 90d"),
        (["run", "sma_crossover", "--coin", "BTC", "--fee", "0.5"], 65,
         "The fee must be a fraction between 0 and 0.1 (0.01 is 1%), got 0.5."),
        (["walk-forward", "sma_crossover", "--coin", "BTC", "--train", "3 months",
          "--test", "5d"], 64,
         "invalid --train '3 months': use a duration like 12h, 90d or 2w"),
        (["walk-forward", "sma_crossover", "--coin", "BTC", "--train", "30d", "--test", "5d"], 65,
         "The data spans 24 days 23:00:00: too short for a training window and embargo "
         "(30 days 00:00:00) followed by a test window."),
        (["walk-forward", "sma_crossover", "--coin", "BTC", "--train", "5d", "--test", "5d",
          "--grid", "fast=5", "--random", "3"], 64,
         "use either --grid or --random, not both"),
        (["walk-forward", "sma_crossover", "--coin", "BTC", "--train", "5d", "--test", "5d",
          "--grid", "fast=500"], 64,
         "No valid parameter combination for sma_crossover in the search "
         "(1 combinations were inconsistent)."),
        (["check", "sma_crossover", "--param", "slow=2"], 64,
         "Parameter 'slow' of sma_crossover must be between 3 and 5000, got 2."),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_on_stderr_with_a_meaningful_exit_code(run, args, exit_code, message):
    result = run("backtest", *args)
    assert (result.exit_code, result.stderr) == (exit_code, f"omc: error: {message}\n")
    assert result.stdout == ""


def test_unknown_strategy_is_refused_before_the_database_is_opened(cli, tmp_path):
    missing = tmp_path / "missing" / "nowhere.sqlite3"
    result = cli("backtest", "run", "nope", "--coin", "BTC",
                 env={"OMC_DATABASE_URL": f"sqlite:///{missing}"})  # fmt: skip
    assert result.exit_code == 64
    assert not missing.exists()
