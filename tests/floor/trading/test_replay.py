"""`omc floor replay` makes the same trades as `omc backtest run` on the real BTC hourly history,
and lists each decision where the risk engine stepped in."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from omc.backtest.costs import CostModel
from omc.floor.trading.limits import resolve_limits
from omc.floor.trading.replay import compare_with_backtest, replay_bars
from omc.settings.floor import FloorSettings
from tests.backtest.conftest import BTC_HOURLY_FILE, read_binance_csv

NON_BINDING = {"daily_loss_limit": "1", "max_drawdown": "1"}


@pytest.fixture(scope="module")
def btc_2024(shared_dir):
    return read_binance_csv(shared_dir / BTC_HOURLY_FILE)["2024-01-01":"2024-12-31"]


@pytest.mark.parametrize(
    ("strategy", "params"),
    [
        ("sma_crossover", {"fast": 20, "slow": 100}),
        ("ema_crossover", {}),
        ("rsi_mean_reversion", {}),
        ("bollinger_breakout", {}),
        ("momentum", {"lookback": 24}),
        ("buy_and_hold", {}),
    ],
)
def test_replay_fills_equal_the_backtests_exact_ledger_on_real_btc_bars(btc_2024, strategy, params):
    costs = CostModel(fee_rate=0.01)
    limits = resolve_limits(FloorSettings(), NON_BINDING)
    result = replay_bars(btc_2024, strategy, params, costs, Decimal(10_000), limits)
    compare_with_backtest(result, btc_2024, costs, Decimal(10_000))
    assert result.differences == []
    assert len(result.fills) == len(result.backtest_fills) > 0
    assert result.interventions == []
    assert result.lookahead_samples > 0
    assert result.ticks == len(btc_2024) - 1


def test_through_the_paper_broker_the_trades_are_the_backtests_and_amounts_round_to_8_places(
    btc_2024,
):
    from omc.floor.trading.replay_paper import PaperFills

    costs = CostModel(fee_rate=0.01)
    limits = resolve_limits(FloorSettings(), NON_BINDING)
    fills = PaperFills(Decimal("0.01"), Decimal(10_000), "BTC", "USDT")
    try:
        result = replay_bars(
            btc_2024, "sma_crossover", {"fast": 20, "slow": 100}, costs, Decimal(10_000), limits,
            fills,
        )  # fmt: skip
        with fills.engine.connect() as connection:
            import sqlalchemy as sa

            from omc.ledgers.exchange.models import Order

            orders = connection.execute(
                sa.select(sa.func.count()).select_from(Order.__table__)
            ).scalar()
    finally:
        fills.close()
    compare_with_backtest(result, btc_2024, costs, Decimal(10_000), tolerance=None)
    assert result.differences == []
    assert orders == len(result.fills) == len(result.backtest_fills) > 10
    assert all(fill.units == fill.units.quantize(Decimal("1e-8")) for fill in result.fills)
    # Rounding to 8 places, carried into later orders' sizes, stays within a few cents here.
    assert Decimal(result.largest_differences["notional"]) < Decimal("0.05")
    strict = compare_with_backtest(result, btc_2024, costs, Decimal(10_000), Decimal("1e-20"))
    assert strict.differences  # the exact comparison does see the rounding


def test_where_the_risk_engine_halts_the_differences_are_listed_decision_by_decision(btc_2024):
    costs = CostModel(fee_rate=0.01)
    limits = resolve_limits(FloorSettings(), {"max_drawdown": "0.05", "daily_loss_limit": "1"})
    result = replay_bars(btc_2024, "momentum", {"lookback": 24}, costs, Decimal(10_000), limits)
    compare_with_backtest(result, btc_2024, costs, Decimal(10_000))
    (halt,) = result.interventions
    assert halt["check"] == "drawdown"
    assert halt["verdict"] == "halt"
    assert Decimal(halt["numbers"]["drawdown"]) >= Decimal("0.05")
    assert result.differences
    first = result.differences[0]
    # Every fill before the halt is the backtest's; the first difference comes after it.
    assert first["backtest"]["time"] >= halt["tick"]
    assert first["replay"] is None


def test_a_clamp_by_the_order_limit_is_listed_and_changes_the_fill(btc_2024):
    costs = CostModel(fee_rate=0.01)
    limits = resolve_limits(FloorSettings(), {**NON_BINDING, "max_order_value": "2500"})
    result = replay_bars(
        btc_2024, "sma_crossover", {"fast": 20, "slow": 100}, costs, Decimal(10_000), limits
    )
    compare_with_backtest(result, btc_2024, costs, Decimal(10_000))
    clamps = [item for item in result.interventions if item["verdict"] == "clamp"]
    assert clamps
    assert clamps[0]["check"] == "max_order_value"
    assert Decimal(clamps[0]["numbers"]["allowed"]) == Decimal(2500)
    assert result.fills[0].notional == Decimal(2500)
    assert result.differences[0]["fill"] == 0


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_the_replay_command_matches_the_backtest_command_on_imported_bars(
    cli, imported_btc_hourly, kind
):
    url = imported_btc_hourly(kind)
    span = ["--since", "2024-01-01", "--until", "2024-04-01"]
    common = ["sma_crossover", "--coin", "BTC", "--quote", "USDT", *span, "--json"]
    env = {"OMC_DATABASE_URL": url}
    replayed = cli(
        "floor",
        "replay",
        *common,
        "--limit",
        "max_drawdown=1",
        "--limit",
        "daily_loss_limit=1",
        env=env,
    )
    assert replayed.exit_code == 0, replayed.output
    backtest = cli("backtest", "run", *common, env=env)
    assert backtest.exit_code == 0, backtest.output
    ours, theirs = json.loads(replayed.output), json.loads(backtest.output)
    assert ours["matches_backtest"] is True
    assert [fill["time"] for fill in ours["fills"][::2]] == [
        trade["entry_time"] for trade in theirs["trades"]
    ]
    assert ours["bars"] == theirs["bars"]
