"""`omc floor promote|status|pause|resume|stop|kill|decisions|report` through the real CLI."""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa

from omc.db import session_scope
from omc.floor.trading.models import Deployment
from omc.floor.trading.tick import Events, TickContext, run_tick
from omc.settings import load_settings
from tests.floor.trading.helpers import T0, TestExchange, insert_prices

HOUR = dt.timedelta(hours=1)


def _env(engine) -> dict[str, str]:
    return {"OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False)}


def test_promote_to_paper_writes_a_deployment_the_status_shows(cli, engine):
    env = _env(engine)
    result = cli(
        "floor", "promote", "sma_crossover", "--coin", "btc", "--param", "fast=5",
        "--param", "slow=20", "--capital", "750", "--limit", "max_drawdown=0.1", "--json",
        env=env,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    promoted = json.loads(result.output)
    assert promoted["name"] == "sma-crossover-btc-paper"
    assert promoted["mode"] == "paper"
    assert promoted["capital"] == "750.00"
    with session_scope(engine) as session:
        (row,) = session.execute(sa.select(Deployment)).scalars().all()
        assert row.params == {"fast": 5, "slow": 20}
        assert row.limits == {"max_drawdown": "0.1"}
        assert row.status == "running"
    status = json.loads(cli("floor", "status", "--json", env=env).output)
    assert [d["name"] for d in status["deployments"]] == ["sma-crossover-btc-paper"]
    assert status["deployments"][0]["risk_state"] == "running"


def test_bad_parameters_and_limits_are_one_line_errors(cli, engine):
    env = _env(engine)
    bad_param = cli("floor", "promote", "sma_crossover", "--coin", "BTC", "--param", "fast=x",
                    env=env)  # fmt: skip
    assert bad_param.exit_code != 0
    assert "Parameter 'fast' of sma_crossover must be a whole number" in bad_param.output
    bad_limit = cli("floor", "promote", "momentum", "--coin", "BTC", "--limit", "max_fun=1",
                    env=env)  # fmt: skip
    assert bad_limit.exit_code == 64
    assert "unknown limit 'max_fun'" in bad_limit.output
    assert "Traceback" not in bad_limit.output


def test_kill_all_then_resume_all_and_pause_resume_stop(cli, engine):
    env = _env(engine)
    cli("floor", "promote", "momentum", "--coin", "BTC", "--name", "m1", env=env)
    killed = cli("floor", "kill", "--all", "--reason", "drill", env=env)
    assert killed.exit_code == 0, killed.output
    assert "kill switch set for all: drill" in killed.output
    status = json.loads(cli("floor", "status", "--json", env=env).output)
    assert status["kill_switches"][0]["reason"] == "drill"
    assert status["deployments"][0]["risk_state"] == "killed"
    assert "kill switch lifted for all" in cli("floor", "resume", "--all", env=env).output
    assert cli("floor", "pause", "m1", env=env).output.strip() == "m1: paused"
    assert cli("floor", "resume", "m1", env=env).output.strip() == "m1: running"
    assert cli("floor", "stop", "m1", env=env).output.strip() == "m1: stopped"
    again = cli("floor", "resume", "m1", env=env)
    assert again.exit_code == 64
    assert "is stopped; promote it again instead" in again.output
    missing = cli("floor", "kill", "nope", "--reason", "x", env=env)
    assert missing.exit_code == 66
    assert "no deployment 'nope'" in missing.output


def test_live_promotion_is_refused_naming_each_failing_gate(cli, engine):
    env = _env(engine)
    result = cli("floor", "promote", "sma_crossover", "--coin", "BTC", "--live", "--yes",
                 env=env)  # fmt: skip
    assert result.exit_code == 77, result.output
    text = " ".join(result.output.split())
    assert text.startswith("omc: error: live promotion refused:")
    for gate in ("out_of_sample", "paper_days", "tracking_error", "keys_stored", "keys_test"):
        assert f"{gate} (" in text
    assert "lookahead (" not in text  # the crossover is causal: that check passed
    with session_scope(engine) as session:
        assert session.execute(sa.select(Deployment)).first() is None
        from omc.core.models import AuditLog

        query = sa.select(AuditLog).where(AuditLog.action == "floor.live_gate")
        (gate,) = session.execute(query).scalars().all()
        checks = {check["name"]: check for check in gate.detail["checks"]}
        assert checks["lookahead"]["passed"] is True
        assert checks["paper_days"]["threshold"] == 14.0


def test_decisions_and_report_show_what_each_tick_did(cli, engine, tmp_path):
    env = _env(engine)
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 120, 125, 130])
    cli("floor", "promote", "momentum", "--coin", "BTC", "--param", "lookback=1", "--name",
        "m1", env=env)  # fmt: skip
    with session_scope(engine) as session:
        deployment_id = session.execute(sa.select(Deployment.id)).scalar_one()
    exchange = TestExchange(price="120")
    context = TickContext(engine, load_settings().settings, lambda d: exchange, Events())
    now = T0 + 6 * HOUR + dt.timedelta(seconds=5)
    exchange.at = now
    run_tick(context, deployment_id, now)
    exchange.price, exchange.at = exchange.price.__class__(125), now + HOUR
    run_tick(context, deployment_id, now + HOUR)
    shown = cli("floor", "decisions", "m1", "--checks", env=env)
    assert shown.exit_code == 0, shown.output
    assert "ordered" in shown.output
    assert "kill_switch: kill switch not set" in shown.output
    listed = json.loads(cli("floor", "decisions", "m1", "--json", env=env).output)
    assert [d["outcome"] for d in listed["decisions"]] == ["ordered", "held"]
    verified = json.loads(cli("floor", "decisions", "m1", "--verify", "--json", env=env).output)
    assert [d["verified"] for d in verified["decisions"]] == [True, True]
    assert [d["replayed_target"] for d in verified["decisions"]] == [1.0, 1.0]
    png = tmp_path / "m1.png"
    report = cli("floor", "report", "m1", "--png", str(png), "--json", env=env)
    assert report.exit_code == 0, report.output
    body = json.loads(report.output)
    assert body["ticks"] == 2
    assert png.stat().st_size > 1000
    assert abs(body["paper_return"] - body["backtest_return"]) == body["error"]
