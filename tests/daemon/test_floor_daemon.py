"""The floor daemon as a real subprocess: the collector's loopback CoinSpot prices in, the paper
broker on those prices (or, where a test needs an exchange that hangs mid-order, the test
exchange of ``loopback_venue``), short bars. Every wait polls to a deadline."""

from __future__ import annotations

import datetime as dt
import json
import signal
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from omc.db import session_scope, utcnow
from omc.floor.trading.deployments import PromoteRequest, build_deployment, save_deployment
from omc.floor.trading.kill import set_kill
from omc.floor.trading.models import Decision, Deployment
from omc.ledgers.exchange.bars import bucket_start
from omc.ledgers.exchange.models import Order, PriceBar
from omc.settings import load_settings
from tests.daemon.conftest import wait_for

pytestmark = pytest.mark.slow
STOP_BOUND = 3 + 5


class CoinSpot:
    """A loopback CoinSpot ``/latest`` whose BTC price the test moves."""

    def __init__(self) -> None:
        self.server = HTTPServer(threaded=True)
        self.server.start()
        self.last = Decimal("151450")
        self.server.expect_request("/pubapi/v2/latest").respond_with_handler(self._latest)

    def _latest(self, request: Request) -> Response:
        last = self.last
        body = {
            "status": "ok",
            "prices": {"btc": {"bid": str(last - 50), "ask": str(last + 50), "last": str(last)}},
        }
        return Response(json.dumps(body), content_type="application/json")

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


@pytest.fixture
def coinspot():
    server = CoinSpot()
    yield server
    server.stop()


@pytest.fixture
def floor_daemon(engine, start_daemon, coinspot, tmp_path):
    orders_file = tmp_path / "orders.jsonl"

    def start(role: str = "all", env: dict[str, str] | None = None, test_exchange: bool = False):
        venue = {"OMC_FLOOR__VENUE_MODULES": "loopback_venue"} if test_exchange else {}
        return start_daemon(
            ["coinspot"],
            intervals={"coinspot": 0.3},
            env={
                "OMC_MARKET__COINSPOT_URL": coinspot.server.url_for("/pubapi/v2"),
                "OMC_MARKET__WATCHLIST": "BTC",
                **venue,
                "OMC_FLOOR__SYNC_SECONDS": "0.2",
                "OMC_FLOOR__TICK_DELAY_SECONDS": "0",
                "OMC_TEST_VENUE_FILE": str(orders_file),
                **(env or {}),
            },
            args=["--role", role],
        )

    return start, orders_file


def seed_history(engine, coin: str, price: str, collected_at: dt.datetime | None = None) -> None:
    """Two earlier 5-minute bars at ``price`` so a one-bar momentum has a past to compare."""
    bucket = bucket_start(utcnow())
    rows = []
    for back in (2, 1):
        when = bucket - dt.timedelta(minutes=5 * back)
        rows.append(
            {
                "timestamp": when,
                "coin_type": coin,
                "quote": "AUD",
                "last": Decimal(price),
                "open": Decimal(price),
                "high": Decimal(price),
                "low": Decimal(price),
                "bid": Decimal(price),
                "ask": Decimal(price),
                "source": "test",
                "collected_at": collected_at or when,
            }
        )
    with engine.begin() as connection:
        connection.execute(sa.insert(PriceBar.__table__), rows)


def promote(
    engine, coin: str = "BTC", name: str | None = None, limits: list[str] | None = None
) -> Deployment:
    from omc.core.users import get_or_create_user

    settings = load_settings().settings
    with session_scope(engine) as session:
        user = get_or_create_user(session, "tester").id
        request = PromoteRequest(
            "momentum",
            coin,
            params={"lookback": 1, "threshold": 0.0},
            bar_seconds=1,
            capital="1000",
            name=name,
            limits=limits or [],
        )
        return save_deployment(session, build_deployment(settings, user, request))


def decisions(engine, deployment_id, since: dt.datetime | None = None) -> list[Decision]:
    with session_scope(engine) as session:
        query = sa.select(Decision).where(Decision.deployment_id == deployment_id)
        if since is not None:
            query = query.where(Decision.decided_at >= since)
        return list(session.execute(query.order_by(Decision.bar_time)).scalars())


def paper_orders(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(sa.select(sa.func.count()).select_from(Order.__table__)).scalar()


def orders(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_a_paper_deployment_trades_on_a_price_move_and_only_then(engine, floor_daemon, coinspot):
    start, _ = floor_daemon
    seed_history(engine, "BTC", "151450")
    deployment = promote(engine)
    daemon = start()
    held = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "held"],
        what="a tick that holds",
    )
    assert held[0].target == 0.0
    assert paper_orders(engine) == 0
    coinspot.last = Decimal("160000")
    ordered = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "ordered"],
        what="an order after the price move",
    )
    assert ordered[0].side == "buy"
    assert ordered[0].filled_price == Decimal("160050")  # the ask, from the paper broker
    with engine.connect() as connection:
        (order,) = connection.execute(sa.select(Order.__table__)).mappings().all()
    assert order["client_order_id"] == ordered[0].client_order_id
    assert order["status"] == "filled"
    assert order["mode"] == "paper"
    code, took = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    assert took < STOP_BOUND


def test_stale_prices_mean_no_trade_and_the_decision_says_why(engine, floor_daemon):
    start, _ = floor_daemon
    an_hour_ago = utcnow() - dt.timedelta(hours=1)
    seed_history(engine, "ETH", "5000", collected_at=an_hour_ago)
    # A rising last bar, known an hour ago and never since: the target says buy.
    with engine.begin() as connection:
        connection.execute(
            sa.insert(PriceBar.__table__),
            [
                {
                    "timestamp": bucket_start(utcnow()),
                    "coin_type": "ETH",
                    "quote": "AUD",
                    "last": Decimal(5500),
                    "bid": Decimal(5500),
                    "ask": Decimal(5500),
                    "open": Decimal(5500),
                    "source": "test",
                    "collected_at": an_hour_ago,
                }
            ],
        )
    deployment = promote(engine, coin="ETH")
    daemon = start()
    blocked = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "blocked"],
        what="a blocked tick",
    )
    assert blocked[0].target == 1.0
    assert blocked[0].reason.startswith("newest price is 36")
    assert blocked[0].reason.endswith("s old, more than the 300.0s allowed")
    assert paper_orders(engine) == 0
    daemon.terminate(timeout=STOP_BOUND)


def test_the_kill_switch_stops_every_deployment_within_one_tick(engine, floor_daemon, coinspot):
    start, _ = floor_daemon
    seed_history(engine, "BTC", "151450")
    first = promote(engine, name="first")
    second = promote(engine, name="second")
    daemon = start()
    for deployment in (first, second):
        wait_for(lambda d=deployment: decisions(engine, d.id), what="ticks")
    with session_scope(engine) as session:
        set_kill(session, deployment_id=None, reason="drill", by="tester")
    killed_at = utcnow()
    coinspot.last = Decimal("160000")  # every deployment now wants to buy
    for deployment in (first, second):
        blocked = wait_for(
            lambda d=deployment: [
                x for x in decisions(engine, d.id, since=killed_at) if x.outcome == "blocked"
            ],
            what="a tick refused by the kill switch",
        )
        assert blocked[0].reason == "kill switch set: drill (all deployments)"
        kill = next(c for c in blocked[0].checks if c["name"] == "kill_switch")
        assert kill["verdict"] == "fail"
    assert paper_orders(engine) == 0
    daemon.terminate(timeout=STOP_BOUND)


def test_kill_minus_nine_during_an_order_then_restart_settles_it_with_one_order(
    engine, floor_daemon, coinspot
):
    start, orders_file = floor_daemon
    seed_history(engine, "BTC", "140000")  # the served price is higher: buy at once
    deployment = promote(engine)
    daemon = start(env={"OMC_TEST_VENUE_HANG": "1"}, test_exchange=True)
    wait_for(lambda: orders(orders_file), what="the order reaching the exchange")
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait(timeout=10)
    (pending,) = [d for d in decisions(engine, deployment.id) if d.client_order_id]
    assert pending.outcome == "pending"
    restarted = start(test_exchange=True)
    wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "ordered"],
        what="the pending order settled",
    )
    settled = next(d for d in decisions(engine, deployment.id) if d.client_order_id)
    assert settled.outcome == "ordered"
    assert "settled after a restart" in settled.reason
    # More ticks pass; still exactly one order at the exchange, and the position is held.
    count = len(decisions(engine, deployment.id))
    wait_for(lambda: len(decisions(engine, deployment.id)) >= count + 3, what="three more ticks")
    assert len(orders(orders_file)) == 1
    with session_scope(engine) as session:
        held = session.get(Deployment, deployment.id).units
    # Money is NUMERIC(28, 10) on PostgreSQL; SQLite keeps about 15 significant digits.
    assert held == pytest.approx(Decimal(orders(orders_file)[0]["units"]), abs=Decimal("1e-10"))
    restarted.terminate(timeout=STOP_BOUND)


def test_a_second_floor_daemon_on_the_same_database_is_refused(engine, floor_daemon):
    start, _ = floor_daemon
    seed_history(engine, "BTC", "151450")
    deployment = promote(engine)
    first = start(role="floor")
    wait_for(lambda: decisions(engine, deployment.id), what="the first daemon's ticks")
    second = start(role="floor")
    assert second.process.wait(timeout=30) == 75
    assert "a floor (trading) daemon is already running against this database" in second.output()
    assert f"pid {first.pid}" in second.output()
    assert first.process.poll() is None
    first.terminate(timeout=STOP_BOUND)


def test_sigterm_during_an_order_lets_the_tick_finish_and_record_it(engine, floor_daemon):
    start, orders_file = floor_daemon
    seed_history(engine, "BTC", "140000")  # the served price is higher: buy at once
    deployment = promote(engine)
    daemon = start(env={"OMC_TEST_VENUE_DELAY": "1.5"}, test_exchange=True)
    wait_for(lambda: orders(orders_file), what="the order reaching the exchange")
    code, _ = daemon.terminate(timeout=STOP_BOUND)  # while the exchange is still answering
    assert code == 0, daemon.output()
    (decision,) = [d for d in decisions(engine, deployment.id) if d.client_order_id]
    assert decision.outcome == "ordered"
    assert decision.filled_units == pytest.approx(
        Decimal(orders(orders_file)[0]["units"]), abs=Decimal("1e-10")
    )
    assert len(orders(orders_file)) == 1


def test_a_drawdown_beyond_the_limit_halts_the_deployment_under_the_daemon(
    engine, floor_daemon, coinspot
):
    start, _ = floor_daemon
    seed_history(engine, "BTC", "140000")  # buy at once at the served price
    deployment = promote(engine, limits=["max_drawdown=0.05", "daily_loss_limit=0.5"])
    daemon = start()
    wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "ordered"],
        what="the first buy",
    )
    coinspot.last = Decimal("130000")  # about 14% below the buy: past the 5% drawdown limit
    halted = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "halted"],
        what="the halt",
    )
    assert "below the peak" in halted[0].reason
    check = next(c for c in halted[0].checks if c["name"] == "drawdown")
    assert check["verdict"] == "halt"
    assert Decimal(check["numbers"]["drawdown"]) > Decimal("0.05")
    with session_scope(engine) as session:
        row = session.get(Deployment, deployment.id)
        assert row.status == "halted"
        assert row.status_reason == halted[0].reason
    daemon.terminate(timeout=STOP_BOUND)


def test_a_daily_loss_beyond_the_limit_halts_the_deployment_under_the_daemon(
    engine, floor_daemon, coinspot
):
    start, _ = floor_daemon
    seed_history(engine, "BTC", "140000")  # buy at once at the served price
    deployment = promote(engine, limits=["max_drawdown=0.5", "daily_loss_limit=0.05"])
    daemon = start()
    wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "ordered"],
        what="the first buy",
    )
    coinspot.last = Decimal("130000")  # about 7% of the day's starting equity lost: past 5%
    halted = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.outcome == "halted"],
        what="the halt",
    )
    assert "below the day's start" in halted[0].reason
    checks = {c["name"]: c for c in halted[0].checks}
    assert checks["daily_loss"]["verdict"] == "halt"
    assert Decimal(checks["daily_loss"]["numbers"]["change"]) <= Decimal("-0.05")
    assert checks["drawdown"]["verdict"] != "halt"  # the daily limit alone halted it
    with session_scope(engine) as session:
        row = session.get(Deployment, deployment.id)
        assert row.status == "halted"
        assert row.status_reason == halted[0].reason
    daemon.terminate(timeout=STOP_BOUND)
