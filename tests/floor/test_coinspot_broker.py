"""The CoinSpot broker against a strict loopback CoinSpot: exact-bytes signatures, nonces that
only increase, and no order doubled or lost under the faults money cares about."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa

from omc.db import session_scope
from omc.errors import OmcError
from omc.floor.brokers import AccountBlocked, AccountRef, Broker, BrokerConfig
from omc.floor.brokers.coinspot import CoinSpotBroker
from omc.floor.brokers.coinspot_client import CoinSpotClient, encode_body, sign
from omc.floor.brokers.nonce import NonceSource, key_fingerprint
from omc.floor.models import BalanceDifference
from omc.ledgers.exchange.models import Order, Trade
from tests.floor.coinspot_server import LoopbackCoinSpot

KEY = "loopback-key-CANARY-0011"
SECRET = "loopback-secret-CANARY-9988"
REPO = Path(__file__).resolve().parents[2]
CONFIG = BrokerConfig(fee_rate=Decimal("0.01"), unknown_after_seconds=30)


def wait_for(condition, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


@pytest.fixture
def server():
    with LoopbackCoinSpot() as loopback:
        loopback.add_key(KEY, SECRET)
        loopback.set_rate("BTC", "150000", "151000")
        yield loopback


class Clock:
    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset


def make_broker(engine, user_id, server, *, timeout=5.0, clock=None, clock_ms=None, key=KEY):
    options = {"clock_ms": clock_ms} if clock_ms else {}
    client = CoinSpotClient(
        server.url,
        key,
        SECRET,
        NonceSource(engine, key_fingerprint(key), **options),
        timeout_seconds=timeout,
        sleep=lambda seconds: None,
    )
    return CoinSpotBroker(
        engine,
        AccountRef(user_id, "live", "default"),
        client,
        config=CONFIG,
        clock=clock or Clock(),
    )


def count_orders(engine, **where):
    query = sa.select(Order.status, sa.func.count()).group_by(Order.status)
    with engine.connect() as connection:
        return dict(connection.execute(query).all())


def test_body_is_compact_json_with_exact_numbers_and_signed_as_sent():
    body = encode_body({"cointype": "BTC", "amount": Decimal("0.00100000"), "nonce": 17})
    assert body == b'{"cointype":"BTC","amount":0.001,"nonce":17}'
    import hashlib
    import hmac

    assert sign("s3cret", body) == hmac.new(b"s3cret", body, hashlib.sha512).hexdigest()


def test_market_buy_is_signed_filled_and_recorded_with_coinspots_fee(engine, user_id, server):
    broker = make_broker(engine, user_id, server)
    assert isinstance(broker, Broker)
    result = broker.buy("BTC", Decimal("0.01"), max_slippage=Decimal("0.02"))
    assert result.status == "filled"
    assert (result.filled_quantity, result.average_price) == (Decimal("0.01"), Decimal("151000"))
    # CoinSpot's own fee from its history: audfeeExGst + audGst = 1% of 1510
    assert result.fee == Decimal("15.1")
    (fill,) = result.fills
    assert fill.fee_source == "exchange"
    assert fill.fee_ex_gst + fill.gst == Decimal("15.1")
    assert fill.trade_key == f"coinspot:{server.orders_at_server()[0]['id']}"
    sent = [params for path, params in server.state.requests if path == "/my/buy/now"]
    assert sent[0]["rate"] == Decimal("151000")
    assert sent[0]["threshold"] == 2
    assert sent[0]["direction"] == "UP"
    assert server.state.signature_failures == 0
    assert server.state.nonce_violations == []
    balances = {b.currency: b.total for b in broker.balances()}
    assert balances == {"AUD": Decimal("8474.9"), "BTC": Decimal("0.01")}


def test_coinspot_error_becomes_a_rejected_order_with_its_message(engine, user_id, server):
    broker = make_broker(engine, user_id, server)
    result = broker.buy("BTC", Decimal("1"))  # 151000 AUD: more than the account holds
    assert (result.status, result.reason) == ("rejected", "CoinSpot refused: Insufficient funds")
    assert server.orders_at_server() == []


def test_timeout_after_execution_is_settled_as_filled_and_never_resent(engine, user_id, server):
    server.fault("/my/buy/now", "hang")
    broker = make_broker(engine, user_id, server, timeout=0.5)
    result = broker.buy("BTC", Decimal("0.01"))
    server.state.release.set()
    assert result.status == "filled"
    assert result.reason == "reconciled: found in CoinSpot's order history"
    assert len(server.orders_at_server()) == 1
    assert [path for path, _ in server.state.requests].count("/my/buy/now") == 1
    assert result.fee == Decimal("15.1")


def test_rate_limited_order_is_rejected_not_resent_and_reads_retry(engine, user_id, server):
    broker = make_broker(engine, user_id, server)
    server.fault("/api/v2/ro/my/balances".removeprefix("/api/v2"), "429", "429")
    assert broker.balances()[0].currency == "AUD"  # retried past two 429s
    server.fault("/my/buy/now", "429")
    result = broker.buy("BTC", Decimal("0.01"))
    assert result.status == "rejected"
    assert "rate limited by CoinSpot (HTTP 429)" in result.reason
    assert server.orders_at_server() == []
    assert broker.buy("BTC", Decimal("0.01")).status == "filled"  # nothing blocks


@pytest.mark.parametrize("fault", ["500", "html", "html200"])
def test_no_usable_answer_leaves_unknown_blocks_then_settles_not_placed(
    engine, user_id, server, fault
):
    clock = Clock()
    broker = make_broker(engine, user_id, server, clock=clock)
    server.fault("/my/buy/now", fault)
    result = broker.buy("BTC", Decimal("0.01"))
    assert result.status == "unknown"
    assert "never re-sent" in result.reason
    with pytest.raises(AccountBlocked, match="nothing trades until `omc floor reconcile`"):
        broker.buy("BTC", Decimal("0.01"))
    assert broker.reconcile()["orders"][0]["status"] == "unknown"  # window still open
    clock.offset = dt.timedelta(seconds=60)
    outcome = broker.reconcile()["orders"][0]
    assert outcome["status"] == "rejected"
    assert outcome["note"].startswith("not placed: reconciled")
    assert server.orders_at_server() == []
    assert [path for path, _ in server.state.requests].count("/my/buy/now") == 1
    assert broker.buy("BTC", Decimal("0.01")).status == "filled"


def test_server_error_after_execution_settles_filled(engine, user_id, server):
    server.fault("/my/buy/now", "hang_then_500")
    server.state.release.set()
    broker = make_broker(engine, user_id, server)
    result = broker.buy("BTC", Decimal("0.01"))
    assert result.status == "filled"
    assert len(server.orders_at_server()) == 1


def test_bad_key_is_a_clear_refusal_without_the_key(engine, user_id, server):
    broker = make_broker(engine, user_id, server, key="not-a-key-CANARY")
    with pytest.raises(OmcError) as error:
        broker.buy("BTC", Decimal("0.01"))
    assert str(error.value) == "CoinSpot refused: Invalid API key"
    assert "CANARY" not in str(error.value)
    assert count_orders(engine) == {}


def test_nonce_increases_with_the_clock_set_backwards_and_across_restarts(engine, user_id, server):
    now = [2_000_000_000_000]

    def backwards() -> int:
        now[0] -= 60_000
        return now[0]

    first = make_broker(engine, user_id, server, clock_ms=lambda: 2_000_000_000_000)
    first.balances()
    again = make_broker(engine, user_id, server, clock_ms=backwards)  # a restart, clock back
    for _ in range(3):
        again.balances()
    nonces = [params["nonce"] for _, params in server.state.requests]
    assert nonces == sorted(set(nonces))
    assert nonces[0] == 2_000_000_000_000
    assert server.state.nonce_violations == []


def test_threads_placing_orders_at_once_never_break_the_nonce(engine, user_id, server):
    broker = make_broker(engine, user_id, server)
    results = []

    def place() -> None:
        for _ in range(3):
            results.append(broker.buy("BTC", Decimal("0.001")).status)

    threads = [threading.Thread(target=place) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["filled"] * 12
    assert len(server.orders_at_server()) == 12
    assert server.state.nonce_violations == []


def _spawn(database_url, server, count, amount="0.001"):
    command = [
        sys.executable, "-m", "tests.floor.place_orders",
        database_url, server.url, "BTC", amount, str(count),
    ]  # fmt: skip
    process = subprocess.Popen(
        command,
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    process.stdin.write(f"{KEY}\n{SECRET}\n")
    process.stdin.close()
    process.stdin = None  # written and closed: communicate() only reads
    return process


@pytest.mark.slow
def test_two_processes_placing_orders_at_once(engine, user_id, server):
    url = engine.url.render_as_string(hide_password=False)
    processes = [_spawn(url, server, 4) for _ in range(2)]
    outputs = [process.communicate(timeout=120) for process in processes]
    assert [process.returncode for process in processes] == [0, 0], outputs
    statuses = [line.split()[1] for out, _ in outputs for line in out.splitlines()[1:]]
    assert statuses == ["filled"] * 8
    assert len(server.orders_at_server()) == 8
    assert server.state.nonce_violations == []
    assert count_orders(engine) == {"filled": 8}
    with engine.connect() as connection:
        keys = connection.execute(sa.select(Trade.trade_key)).scalars().all()
    assert len(set(keys)) == 8


@pytest.mark.slow
def test_kill_9_between_commit_and_response_then_restart_reconciles_one_order(
    engine, user_id, server
):
    server.fault("/my/buy/now", "hang")
    process = _spawn(engine.url.render_as_string(hide_password=False), server, 1, "0.01")
    wait_for(server.state.order_arrived.is_set, what="the order to reach the server")
    assert count_orders(engine) == {"submitting": 1}
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    server.state.release.set()

    broker = make_broker(engine, user_id, server)  # the restarted process
    with pytest.raises(AccountBlocked):
        broker.buy("BTC", Decimal("0.01"))
    outcome = broker.reconcile()
    assert [o["status"] for o in outcome["orders"]] == ["filled"]
    assert len(server.orders_at_server()) == 1
    assert count_orders(engine) == {"filled": 1}
    assert outcome["balances"] == []  # omc's records now agree with CoinSpot's balances
    assert broker.buy("BTC", Decimal("0.01")).status == "filled"


@pytest.mark.slow
def test_the_trading_loop_settles_an_order_whose_sender_was_killed_from_the_history(
    engine, user_id, server
):
    """The floor's gateway asks for a ``submitting`` order left by a killed process: it is
    settled from CoinSpot's history at once (its sender is gone), not waited on forever."""
    from omc.floor.trading.broker_gateway import BrokerGateway

    server.fault("/my/buy/now", "hang")
    process = _spawn(engine.url.render_as_string(hide_password=False), server, 1, "0.01")
    wait_for(server.state.order_arrived.is_set, what="the order to reach the server")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    server.state.release.set()
    with engine.connect() as connection:
        (client_order_id,) = connection.execute(sa.select(Order.client_order_id)).scalars()
    assert count_orders(engine) == {"submitting": 1}

    broker = make_broker(engine, user_id, server)  # the restarted trading daemon
    gateway = BrokerGateway(broker, engine, broker.account, "BTC", CONFIG)
    outcome = gateway.outcome(client_order_id)
    assert outcome is not None
    assert outcome.status == "filled"
    (executed,) = server.orders_at_server()
    assert outcome.units == Decimal(str(executed["amount"]))
    assert outcome.price == Decimal(str(executed["rate"]))
    assert count_orders(engine) == {"filled": 1}


def test_balance_differences_are_recorded_once_and_shown(engine, user_id, server):
    broker = make_broker(engine, user_id, server)
    broker.buy("BTC", Decimal("0.01"))
    server.state.balances["ETH"] = Decimal("2")  # a deposit on the website
    first = broker.reconcile()["balances"]
    assert [(d["coin"], d["difference"], d["new"]) for d in first] == [("ETH", Decimal("2"), True)]
    again = broker.reconcile()["balances"]
    assert [(d["coin"], d["new"]) for d in again] == [("ETH", False)]
    with session_scope(engine) as session:
        rows = session.execute(sa.select(BalanceDifference)).scalars().all()
        assert [(row.coin_type, row.reported, row.recorded) for row in rows] == [
            ("ETH", Decimal("2"), Decimal("0"))
        ]


def test_history_without_times_or_ids_still_settles_a_lost_answer(engine, user_id, server):
    server.state.history_drops = ("solddate", "id")
    server.fault("/my/buy/now", "hang_then_500")
    server.state.release.set()
    broker = make_broker(engine, user_id, server)
    result = broker.buy("BTC", Decimal("0.01"))
    assert result.status == "filled"
    assert result.fills[0].trade_key.startswith("coinspot:h:")
    assert len(server.orders_at_server()) == 1


def test_identical_timeless_fills_are_told_apart_not_merged(engine, user_id, server):
    server.state.history_drops = ("solddate", "id")
    broker = make_broker(engine, user_id, server)
    first = broker.buy("BTC", Decimal("0.01"))
    server.fault("/my/buy/now", "hang_then_500")
    server.state.release.set()
    lost = broker.buy("BTC", Decimal("0.01"))
    assert (first.status, lost.status) == ("filled", "filled")
    assert first.fills[0].trade_key != lost.fills[0].trade_key
    assert len(server.orders_at_server()) == 2
