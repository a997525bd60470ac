"""One tick of a deployment against real databases and a test exchange: trade, hold, block,
halt, and never double an order."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import sqlalchemy as sa

from omc.core import audit
from omc.core.models import AuditLog
from omc.db import session_scope
from omc.floor.trading.deployments import PromoteRequest, build_deployment, save_deployment
from omc.floor.trading.kill import lift_kill, set_kill
from omc.floor.trading.models import Decision, Deployment
from omc.floor.trading.tick import Events, TickContext, run_tick
from omc.settings import load_settings
from tests.floor.trading.helpers import T0, TestExchange, insert_prices, make_user

HOUR = dt.timedelta(hours=1)


class Recorder(Events):
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def emit(self, kind: str, deployment: str, text: str) -> None:
        self.sent.append((kind, deployment, text))


@pytest.fixture
def floor(engine):
    settings = load_settings().settings
    user = make_user(engine)
    exchange = TestExchange(price="110", at=lambda: T0 + 6 * HOUR + dt.timedelta(seconds=4))
    events = Recorder()
    context = TickContext(engine, settings, lambda deployment: exchange, events)

    def promote(**limits: str) -> Deployment:
        request = PromoteRequest(
            "momentum",
            "BTC",
            params={"lookback": 1, "threshold": 0.0},
            limits=[f"{k}={v}" for k, v in limits.items()],
        )
        with session_scope(engine) as session:
            return save_deployment(session, build_deployment(settings, user, request))

    return engine, context, exchange, events, promote


def decisions(engine, deployment_id) -> list[Decision]:
    import sqlalchemy as sa

    with session_scope(engine) as session:
        query = sa.select(Decision).where(Decision.deployment_id == deployment_id)
        return list(session.execute(query.order_by(Decision.bar_time)).scalars())


def deployment_row(engine, deployment_id) -> Deployment:
    with session_scope(engine) as session:
        return session.get(Deployment, deployment_id)


NOW = T0 + 6 * HOUR + dt.timedelta(seconds=5)


def test_a_price_move_buys_once_and_a_second_tick_on_the_same_bar_does_nothing(floor):
    engine, context, exchange, events, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110])
    deployment = promote()
    result = run_tick(context, deployment.id, NOW)
    assert result.outcome == "ordered", result.reason
    assert [side for side, _, _ in exchange.orders] == ["buy"]
    row = deployment_row(engine, deployment.id)
    # 500 of cash buys 500 / 1.01 of coin at 110, the fee on top: the backtest's rule.
    assert row.units == pytest.approx(Decimal(500) / Decimal("1.01") / 110, rel=Decimal("1e-12"))
    assert row.cash == pytest.approx(Decimal(0), abs=Decimal("1e-8"))
    assert run_tick(context, deployment.id, NOW + dt.timedelta(seconds=30)).outcome == "skipped"
    assert len(exchange.orders) == 1
    (decision,) = decisions(engine, deployment.id)
    assert decision.bar_time == T0 + 5 * HOUR
    assert decision.target == 1.0
    assert decision.client_order_id == exchange.orders[0][2]
    assert {check["name"] for check in decision.checks} >= {"kill_switch", "stale_data"}
    assert all(check["verdict"] == "pass" for check in decision.checks)
    assert events.sent[0][0] == "fill"


def test_stale_prices_mean_no_trade_and_the_decision_says_why(floor):
    engine, context, exchange, _, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110])
    deployment = promote()
    later = NOW + dt.timedelta(minutes=30)  # newest price collected 30 minutes ago
    result = run_tick(context, deployment.id, later)
    assert result.outcome == "blocked"
    assert result.reason == "newest price is 1804.0s old, more than the 300.0s allowed"
    assert exchange.orders == []
    (decision,) = decisions(engine, deployment.id)
    stale = next(check for check in decision.checks if check["name"] == "stale_data")
    assert stale["verdict"] == "fail"
    assert stale["numbers"]["limit_seconds"] == "300.0"


def test_the_kill_switch_for_all_stops_the_order_and_lifting_it_lets_the_next_bar_trade(floor):
    engine, context, exchange, _, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 120, 130])
    deployment = promote()
    with session_scope(engine) as session:
        set_kill(session, deployment_id=None, reason="exchange outage", by="tester")
    result = run_tick(context, deployment.id, NOW)
    assert result.outcome == "blocked"
    assert result.reason == "kill switch set: exchange outage (all deployments)"
    assert exchange.orders == []
    with session_scope(engine) as session:
        assert lift_kill(session, deployment_id=None, by="tester") == 1
    exchange.price, exchange.at = Decimal(130), lambda: NOW + HOUR
    result = run_tick(context, deployment.id, NOW + HOUR)
    assert result.outcome == "ordered", result.reason


def test_a_daily_loss_beyond_the_limit_halts_until_the_next_day(floor):
    engine, context, exchange, events, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110, 90, 90])
    deployment = promote(daily_loss_limit="0.1")
    assert run_tick(context, deployment.id, NOW).outcome == "ordered"
    # Next hour the price fell to 90: equity is ~18% below the day's start.
    exchange.price = Decimal(90)
    exchange.at = lambda: NOW + 2 * HOUR
    result = run_tick(context, deployment.id, NOW + 2 * HOUR)
    assert result.outcome == "halted"
    assert "below the day's start" in result.reason
    assert "10.00%" in result.reason
    row = deployment_row(engine, deployment.id)
    assert row.status == "halted"
    assert row.halted_until == dt.datetime(2026, 1, 6, tzinfo=dt.UTC)
    assert events.sent[-1][0] == "halt"
    assert len(exchange.orders) == 1


def test_a_drawdown_beyond_the_limit_halts(floor):
    engine, context, _exchange, _, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110, 90, 90])
    deployment = promote(max_drawdown="0.15", daily_loss_limit="0.5")
    run_tick(context, deployment.id, NOW)
    result = run_tick(context, deployment.id, NOW + 2 * HOUR)
    assert result.outcome == "halted"
    assert "below the peak" in result.reason
    assert deployment_row(engine, deployment.id).halted_until is None


def test_a_broker_error_after_sending_leaves_the_order_pending_and_it_is_never_resent(floor):
    engine, context, exchange, _, promote = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 120, 130, 140])
    deployment = promote()
    exchange.price = Decimal(120)
    exchange.fail_with = TimeoutError("read timed out")
    result = run_tick(context, deployment.id, NOW)
    assert result.outcome == "pending"
    assert len(exchange.orders) == 1
    exchange.fail_with = None
    exchange.price, exchange.at = Decimal(130), lambda: NOW + HOUR
    result = run_tick(context, deployment.id, NOW + HOUR)
    # Still unknown at the broker: no new order, and the decision says why.
    assert result.outcome == "blocked"
    assert result.reason.startswith("1 order(s) on the account in state unknown")
    assert len(exchange.orders) == 1
    # The broker now reports it filled: the next tick settles it from the broker.
    client_id = exchange.orders[0][2]
    from omc.floor.trading.gateway import OrderOutcome

    exchange.by_client[client_id] = OrderOutcome(
        "filled", "x0", Decimal("4.5"), Decimal(110), Decimal(495), Decimal("4.95")
    )
    exchange.at = lambda: NOW + 2 * HOUR
    run_tick(context, deployment.id, NOW + 2 * HOUR)
    first = decisions(engine, deployment.id)[0]
    assert first.outcome == "ordered"
    assert "settled after a restart" in first.reason
    assert deployment_row(engine, deployment.id).units == Decimal("4.5")
    assert len(exchange.orders) == 1


class WritingExchange(TestExchange):
    """A broker that writes on its own connection while the tick decides, as the live broker
    does (the audit of its key's decryption when opened, a persisted nonce per request)."""

    def __init__(self, engine, **options) -> None:
        super().__init__(**options)
        url = engine.url.render_as_string(hide_password=False)
        # Its own engine, quick to give up on a lock: a tick holding one fails fast.
        self.writer = (
            sa.create_engine(url, connect_args={"timeout": 1})
            if engine.dialect.name == "sqlite"
            else engine
        )

    def write(self, what: str) -> None:
        with session_scope(self.writer) as session:
            audit.record(session, "test.broker_write", target=what)

    def quote(self, side: str):
        self.write(f"quote:{side}")
        return super().quote(side)


def test_a_broker_that_writes_on_its_own_connection_is_not_locked_out_by_the_tick(engine):
    settings = load_settings().settings
    user = make_user(engine)
    exchange = WritingExchange(engine, price="110", at=lambda: NOW - dt.timedelta(seconds=1))

    opened: list = []

    def gateway_for(deployment):  # opened once, as the daemon's gateway factory does
        if not opened:
            exchange.write("opened")
            opened.append(exchange)
        return exchange

    context = TickContext(engine, settings, gateway_for, Recorder())
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110])
    request = PromoteRequest("momentum", "BTC", params={"lookback": 1, "threshold": 0.0})
    with session_scope(engine) as session:
        deployment = save_deployment(session, build_deployment(settings, user, request))
    result = run_tick(context, deployment.id, NOW)
    assert result.outcome == "ordered", result.reason
    with engine.connect() as connection:
        written = connection.execute(
            sa.select(AuditLog.__table__.c.target).where(
                AuditLog.__table__.c.action == "test.broker_write"
            )
        ).scalars()
        assert sorted(written) == ["opened", "quote:buy"]


def test_a_live_row_without_a_passed_gate_never_reaches_the_broker(floor):
    engine, context, exchange, _, _ = floor
    insert_prices(engine, [100, 100, 100, 100, 100, 110, 110])
    settings = load_settings().settings
    user = make_user(engine)
    rows = {}
    for name, gate in (
        ("ungated", None),
        ("refused", {"passed": False}),
        ("gated", {"passed": True}),
    ):
        request = PromoteRequest(
            "momentum", "BTC", params={"lookback": 1, "threshold": 0.0}, mode="live", name=name
        )
        with session_scope(engine) as session:
            rows[name] = save_deployment(session, build_deployment(settings, user, request), gate)
    for name in ("ungated", "refused"):
        result = run_tick(context, rows[name].id, NOW)
        assert result.outcome == "failed"
        assert result.reason == "live deployment without a passed live gate: promote it with --live"
    assert exchange.orders == []
    assert run_tick(context, rows["gated"].id, NOW).outcome == "ordered"
    assert [side for side, _, _ in exchange.orders] == ["buy"]
