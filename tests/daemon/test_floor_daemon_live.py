"""A live deployment under the real daemon (``--role all``): the collector's loopback public
CoinSpot prices in, the real CoinSpot broker out, signing every request to the strict loopback
private API of :mod:`tests.floor.coinspot_server` with the keys a user stored with
``omc floor keys set`` (sealed by the vault; the daemon opens the same vault). Every wait polls
to a deadline."""

from __future__ import annotations

import signal
from decimal import Decimal

import pytest
import sqlalchemy as sa

from omc.core.models import AuditLog
from omc.core.users import get_or_create_user
from omc.db import session_scope, utcnow
from omc.floor.models import CoinspotCredential
from omc.floor.trading.deployments import PromoteRequest, build_deployment, save_deployment
from omc.floor.trading.kill import set_kill
from omc.floor.trading.models import Deployment
from omc.ledgers.exchange.models import Order, Position
from omc.settings import load_settings
from tests.daemon.conftest import wait_for
from tests.daemon.test_floor_daemon import STOP_BOUND, CoinSpot, decisions, seed_history
from tests.floor.coinspot_server import LoopbackCoinSpot

pytestmark = pytest.mark.slow
KEY = "cs-live-key-CANARY-4d2a91c07e"
SECRET = "cs-live-secret-CANARY-b83f6e15a9d2"
SPREAD = Decimal(50)


class Market:
    """The public prices (what the collector reads) and the private exchange's rates, moved
    together as one market."""

    def __init__(self, public: CoinSpot, exchange: LoopbackCoinSpot) -> None:
        self.public = public
        self.exchange = exchange
        self.move(public.last)

    def move(self, last: Decimal) -> None:
        self.exchange.set_rate("BTC", str(last - SPREAD), str(last + SPREAD))
        self.public.last = last


@pytest.fixture
def market():
    public = CoinSpot()
    with LoopbackCoinSpot() as exchange:
        exchange.add_key(KEY, SECRET)
        yield Market(public, exchange)
    public.stop()


@pytest.fixture
def stored_keys(cli, engine, monkeypatch):
    """The keys stored as a user stores them: ``omc floor keys set`` (encrypted by the vault
    whose key file is under this test's ``OMC_HOME``, which the daemon inherits)."""
    monkeypatch.setenv("OMC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    result = cli("floor", "keys", "set", "--stdin", input=f"{KEY}\n{SECRET}\n")
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        (row,) = connection.execute(sa.select(CoinspotCredential.__table__)).mappings().all()
    assert row["encrypted_secret"]  # sealed, not plaintext:
    stored = " ".join(str(value) for value in row.values())
    assert SECRET not in stored
    assert KEY not in stored


@pytest.fixture
def live_daemon(engine, start_daemon, market, stored_keys):
    def start(env: dict[str, str] | None = None):
        return start_daemon(
            ["coinspot"],
            intervals={"coinspot": 0.3},
            env={
                "OMC_MARKET__COINSPOT_URL": market.public.server.url_for("/pubapi/v2"),
                "OMC_MARKET__WATCHLIST": "BTC",
                "OMC_FLOOR__COINSPOT_API_URL": market.exchange.url,
                "OMC_FLOOR__COINSPOT_TIMEOUT_SECONDS": "20",
                "OMC_FLOOR__SYNC_SECONDS": "0.2",
                "OMC_FLOOR__TICK_DELAY_SECONDS": "0",
                "OMC_LOG_LEVEL": "DEBUG",
                **(env or {}),
            },
            args=["--role", "all"],
        )

    return start


def promote_live(engine) -> Deployment:
    """A live deployment row, written as a promotion writes it (the live gate is tested with
    ``omc floor promote --mode live``; here the row is what matters)."""
    settings = load_settings().settings
    with session_scope(engine) as session:
        user = get_or_create_user(session, "tester").id
        request = PromoteRequest(
            "momentum",
            "BTC",
            mode="live",
            params={"lookback": 1, "threshold": 0.0},
            bar_seconds=1,
            capital="1000",
        )
        # As `omc floor promote --live` leaves it once the gate passed (tested on its own).
        gate = {"passed": True, "checks": [], "checked_at": utcnow().isoformat()}
        return save_deployment(session, build_deployment(settings, user, request), gate=gate)


def outcomes(engine, deployment_id, outcome: str) -> list:
    return [d for d in decisions(engine, deployment_id) if d.outcome == outcome]


def sent(exchange: LoopbackCoinSpot, path: str) -> list[dict]:
    with exchange.state.lock:
        return [params for route, params in exchange.state.requests if route == path]


def live_orders(engine) -> list[dict]:
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(sa.select(Order.__table__)).mappings()]


def assert_signed_and_in_order(exchange: LoopbackCoinSpot) -> None:
    assert exchange.state.signature_failures == 0
    assert exchange.state.nonce_violations == []


def assert_no_secret(daemon) -> None:
    output = daemon.output()
    assert output  # the daemon did log (DEBUG): the check below looked at something
    assert SECRET not in output
    assert KEY not in output


def test_a_live_deployment_buys_once_at_the_exchange_on_a_price_move(engine, live_daemon, market):
    seed_history(engine, "BTC", "151450")
    deployment = promote_live(engine)
    daemon = live_daemon()
    held = wait_for(lambda: outcomes(engine, deployment.id, "held"), what="a tick that holds")
    assert held[0].target == 0.0
    assert sent(market.exchange, "/my/buy/now") == []
    market.move(Decimal("160000"))
    (ordered,) = wait_for(
        lambda: outcomes(engine, deployment.id, "ordered"), what="a buy after the price move"
    )
    (executed,) = market.exchange.orders_at_server()
    (request,) = sent(market.exchange, "/my/buy/now")
    assert request["cointype"] == "BTC"
    assert request["amounttype"] == "aud"
    assert request["rate"] == Decimal("160050")  # the quoted ask, with the slippage guard
    assert request["direction"] == "UP"
    assert ordered.side == "buy"
    assert ordered.filled_price == Decimal(str(executed["rate"]))
    assert ordered.filled_units == pytest.approx(
        Decimal(str(executed["amount"])), abs=Decimal("1e-10")
    )
    (order,) = live_orders(engine)
    assert order["mode"] == "live"
    assert order["status"] == "filled"
    assert order["client_order_id"] == ordered.client_order_id
    assert order["exchange_order_id"] == executed["id"]
    # Later ticks hold the position and send nothing more.
    later = wait_for(
        lambda: [d for d in decisions(engine, deployment.id) if d.bar_time > ordered.bar_time][2:],
        what="three more ticks",
    )
    assert {d.outcome for d in later} == {"held"}
    assert len(sent(market.exchange, "/my/buy/now")) == 1
    assert len(market.exchange.orders_at_server()) == 1
    assert_signed_and_in_order(market.exchange)
    with engine.connect() as connection:
        audits = connection.execute(
            sa.select(AuditLog.__table__.c.target, AuditLog.__table__.c.detail).where(
                AuditLog.__table__.c.action == "secret.decrypt"
            )
        ).all()
    # The daemon opened the keys once for its live gateway, for trading, and said so.
    assert [(target.split(":")[0], detail["purpose"]) for target, detail in audits] == [
        ("coinspot_credentials", "trading")
    ]
    code, took = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    assert took < STOP_BOUND
    assert_no_secret(daemon)


def test_kill_minus_nine_while_the_exchange_hangs_then_restart_reconciles_the_buy(
    engine, live_daemon, market
):
    seed_history(engine, "BTC", "140000")  # the served price is higher: buy at once
    deployment = promote_live(engine)
    market.exchange.fault("/my/buy/now", "hang")
    daemon = live_daemon()
    wait_for(market.exchange.state.order_arrived.is_set, what="the buy reaching the exchange")
    daemon.process.send_signal(signal.SIGKILL)
    daemon.process.wait(timeout=10)
    market.exchange.state.release.set()  # the hung request's answer goes nowhere
    (pending,) = [d for d in decisions(engine, deployment.id) if d.client_order_id]
    assert pending.outcome == "pending"
    (order,) = live_orders(engine)
    assert order["status"] == "submitting"
    restarted = live_daemon()
    wait_for(lambda: outcomes(engine, deployment.id, "ordered"), what="the pending buy reconciled")
    settled = next(d for d in decisions(engine, deployment.id) if d.client_order_id)
    assert "settled after a restart" in settled.reason
    (executed,) = market.exchange.orders_at_server()
    assert settled.filled_units == pytest.approx(
        Decimal(str(executed["amount"])), abs=Decimal("1e-10")
    )
    (order,) = live_orders(engine)
    assert order["status"] == "filled"
    assert order["exchange_order_id"] == executed["id"]
    assert order["client_order_id"] == settled.client_order_id
    # More ticks: the buy was never re-sent, and the position is held.
    count = len(decisions(engine, deployment.id))
    wait_for(lambda: len(decisions(engine, deployment.id)) >= count + 3, what="three more ticks")
    assert len(sent(market.exchange, "/my/buy/now")) == 1
    assert len(market.exchange.orders_at_server()) == 1
    with session_scope(engine) as session:
        units = session.get(Deployment, deployment.id).units
        position = session.execute(sa.select(Position)).scalar_one()
    # Money is NUMERIC(28, 10) on PostgreSQL; SQLite keeps about 15 significant digits.
    assert units == pytest.approx(Decimal(str(executed["amount"])), abs=Decimal("1e-10"))
    assert position.quantity == pytest.approx(units, abs=Decimal("1e-10"))
    assert_signed_and_in_order(market.exchange)
    code, _ = restarted.terminate(timeout=STOP_BOUND)
    assert code == 0, restarted.output()
    assert_no_secret(daemon)
    assert_no_secret(restarted)


def test_the_kill_switch_blocks_the_live_deployments_next_order(engine, live_daemon, market):
    seed_history(engine, "BTC", "151450")
    deployment = promote_live(engine)
    daemon = live_daemon()
    wait_for(lambda: outcomes(engine, deployment.id, "held"), what="a tick that holds")
    with session_scope(engine) as session:
        set_kill(session, deployment_id=None, reason="drill", by="tester")
    market.move(Decimal("160000"))  # the deployment now wants to buy
    blocked = wait_for(
        lambda: outcomes(engine, deployment.id, "blocked"), what="a tick refused by the kill"
    )
    assert blocked[0].reason == "kill switch set: drill (all deployments)"
    assert blocked[0].side == "buy"
    kill = next(c for c in blocked[0].checks if c["name"] == "kill_switch")
    assert kill["verdict"] == "fail"
    assert sent(market.exchange, "/my/buy/now") == []
    assert market.exchange.orders_at_server() == []
    assert live_orders(engine) == []
    assert_signed_and_in_order(market.exchange)
    daemon.terminate(timeout=STOP_BOUND)
    assert_no_secret(daemon)
