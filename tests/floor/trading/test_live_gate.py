"""The live gate passed end to end for a built-in strategy: a stored walk-forward record, a
paper deployment that tracked its backtest, keys that work at a loopback CoinSpot, a
confirmation; and each check refusing with its own numbers when it does not hold."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest
import sqlalchemy as sa

from omc.db import session_scope
from omc.floor.trading.models import Deployment
from omc.floor.trading.tick import Events, TickContext, run_tick
from omc.settings import load_settings
from tests.floor.coinspot_server import serving
from tests.floor.trading.helpers import T0, TestExchange, insert_prices

HOUR = dt.timedelta(hours=1)
KEY, SECRET = "gate-key-CANARY-0123456789", "gate-secret-CANARY-9876543210"
STRATEGY = ("momentum", "--coin", "BTC", "--param", "lookback=24", "--param", "threshold=0")
BARS = 700
PAPER_TICKS = 72  # three days of hourly ticks at the end of the history


@pytest.fixture
def market(engine, monkeypatch):
    """A seeded hourly random walk of BTC/AUD; the test's database in the environment."""
    steps = np.random.default_rng(7).normal(0.0005, 0.01, BARS)
    prices = [round(float(p), 2) for p in 30_000 * np.exp(np.cumsum(steps))]
    insert_prices(engine, prices)
    monkeypatch.setenv("OMC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    monkeypatch.setenv("OMC_FLOOR__MIN_PAPER_DAYS", "2")
    return prices


@pytest.fixture
def server(monkeypatch):
    with serving(monkeypatch, KEY, SECRET, "BTC", "30000", "30100") as loopback:
        yield loopback


def _walk_forward(cli) -> dict:
    result = cli("backtest", "walk-forward", "momentum", "--coin", "BTC", "--train", "10d",
                 "--test", "5d", "--grid", "lookback=24", "--grid", "threshold=0", "--save",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["record"]


def _paper_trade(cli, engine, prices) -> Deployment:
    """Promote to paper and tick the last three days, each order filled at the next bar's open
    (the price the tick sees is that bar's first), as the backtest convention says."""
    promoted = cli("floor", "promote", *STRATEGY, "--name", "paper-momentum", "--json")
    assert promoted.exit_code == 0, promoted.output
    first = BARS - PAPER_TICKS
    with session_scope(engine) as session:
        deployment = session.execute(sa.select(Deployment)).scalar_one()
        deployment.created_at = T0 + first * HOUR  # it started with the first tick
        deployment_id = deployment.id
    settings = load_settings().settings
    exchange = TestExchange(fee_rate=str(settings.backtest.fee_rate))
    context = TickContext(engine, settings, lambda d: exchange, Events())
    for bar in range(first, BARS):
        now = T0 + bar * HOUR + dt.timedelta(seconds=5)
        exchange.price, exchange.at = Decimal(str(prices[bar])), now
        run_tick(context, deployment_id, now)
    with session_scope(engine) as session:
        return session.get(Deployment, deployment_id)


def _gate_record(engine) -> dict:
    from omc.core.models import AuditLog

    with session_scope(engine) as session:
        query = sa.select(AuditLog).where(AuditLog.action == "floor.live_gate")
        rows = session.execute(query.order_by(AuditLog.id)).scalars().all()
        return {check["name"]: check for check in rows[-1].detail["checks"]}


def test_a_strategy_passes_the_live_gate_on_its_stored_record_paper_run_and_keys(
    cli, engine, market, server, monkeypatch
):
    record = _walk_forward(cli)
    paper = _paper_trade(cli, engine, market)
    assert paper.last_tick_at is not None
    assert cli("floor", "keys", "set", "--stdin", input=f"{KEY}\n{SECRET}\n").exit_code == 0

    # The default bar (deflated Sharpe 0.95, 30 out-of-sample trades) against this record.
    strict = cli("floor", "promote", *STRATEGY, "--live", "--yes")
    checks = _gate_record(engine)
    evidence = checks["out_of_sample"]
    assert evidence["value"] == {
        "record": record["id"],
        "deflated_sharpe": record["deflated_sharpe"],
        "oos_trades": record["oos_trades"],
    }
    strong = record["deflated_sharpe"] >= 0.95 and record["oos_trades"] >= 30
    assert evidence["passed"] is strong
    assert checks["paper_days"]["passed"] is True
    assert checks["paper_days"]["value"] == pytest.approx((PAPER_TICKS - 1) / 24, abs=0.01)
    assert checks["tracking_error"]["passed"] is True, checks["tracking_error"]
    assert checks["keys_test"]["passed"] is True
    assert checks["lookahead"]["passed"] is True
    assert strict.exit_code == 77  # --yes without floor.allow_live, whatever else passed
    text = " ".join(strict.output.split())
    assert ("out_of_sample (" in text) is not strong

    # A bar this record clears, and floor.allow_live for --yes: promoted live.
    monkeypatch.setenv("OMC_FLOOR__MIN_DEFLATED_SHARPE", str(max(record["deflated_sharpe"], 0)))
    monkeypatch.setenv("OMC_FLOOR__MIN_OOS_TRADES", str(record["oos_trades"]))
    monkeypatch.setenv("OMC_FLOOR__ALLOW_LIVE", "true")
    live = cli("floor", "promote", *STRATEGY, "--live", "--yes", "--json")
    assert live.exit_code == 0, live.output
    assert json.loads(live.stdout)["mode"] == "live"
    assert all(check["passed"] for check in _gate_record(engine).values())
    with session_scope(engine) as session:
        row = session.execute(sa.select(Deployment).where(Deployment.mode == "live")).scalar_one()
        assert row.gate["passed"] is True
        assert [check["name"] for check in row.gate["checks"]] == [
            "out_of_sample", "lookahead", "paper_days", "tracking_error", "keys_stored",
            "keys_test", "confirmation",
        ]  # fmt: skip
    assert SECRET not in live.output


def test_a_record_for_other_parameters_does_not_vouch_and_the_refusal_says_which(
    cli, engine, market
):
    _walk_forward(cli)  # chose lookback=24 threshold=0
    result = cli("floor", "promote", "momentum", "--coin", "BTC", "--param", "lookback=48",
                 "--live", "--yes")  # fmt: skip
    assert result.exit_code == 77
    text = " ".join(result.output.split())
    assert "out_of_sample (momentum has no stored walk-forward record on BTC/AUD 1h bars" in text
    assert "stored records chose: 1h bars with {'lookback': 24, 'threshold': 0.0}" in text
    other_interval = cli("floor", "promote", *STRATEGY, "--interval", "4h", "--live", "--yes")
    assert "no stored walk-forward record on BTC/AUD 4h bars" in " ".join(
        other_interval.output.split()
    )
