"""`omc floor` order commands through the real CLI: paper by default, live behind --live and a
typed confirmation, against the loopback CoinSpot."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from tests.floor.coinspot_server import serving
from tests.floor.conftest import record_price

KEY = "cli-key-CANARY-424242"
SECRET = "cli-secret-CANARY-737373"


@pytest.fixture
def db(engine, monkeypatch):
    monkeypatch.setenv("OMC_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    return engine


@pytest.fixture
def server(monkeypatch):
    with serving(monkeypatch, KEY, SECRET, "BTC", "150000", "151000") as loopback:
        yield loopback


def now():
    return dt.datetime.now(dt.UTC)


def test_paper_buy_sell_balance_positions_pnl_and_reset(cli, db):
    record_price(db, None, "BTC", "150000", "151000", "150500", at=now())
    result = cli("floor", "buy", "BTC", "0.01")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(
        "filled: buy 0.01 BTC at 151,000.00 AUD, fee 15.10 AUD (paper default, omc-"
    )
    assert cli("floor", "sell", "btc", "0.004", "--max-slippage", "1%").exit_code == 0
    balances = json.loads(cli("floor", "balance", "--json").stdout)
    assert [(b["currency"], Decimal(b["total"])) for b in balances] == [
        ("AUD", Decimal("9068.9")),
        ("BTC", Decimal("0.006")),
    ]
    positions = json.loads(cli("floor", "positions", "--json").stdout)
    assert [
        (p["coin"], Decimal(p["quantity"]), Decimal(p["cost"])) for p in positions["positions"]
    ] == [("BTC", Decimal("0.006"), Decimal("915.06"))]
    report = json.loads(cli("floor", "pnl", "--since", "30d", "--json").stdout)
    # bought 0.01 at 151000 + 15.10 fee; sold 0.004 at 150000 less 6 fee: 594 - 610.04
    assert Decimal(report["realized"]) == Decimal("-16.04")
    assert Decimal(report["equity"]) == Decimal("9968.9")
    orders = cli("floor", "orders")
    assert orders.exit_code == 0
    assert "filled" in orders.stdout
    trades = json.loads(cli("floor", "trades", "--json").stdout)
    assert [t["side"] for t in trades] == ["sell", "buy"]
    assert cli("floor", "paper", "reset", "--cash", "500").stdout == (
        "paper account default reset: 500.00 AUD, no coins\n"
    )
    assert Decimal(json.loads(cli("floor", "balance", "--json").stdout)[0]["total"]) == 500


def test_paper_refusals_are_one_line_with_exit_codes(cli, db):
    record_price(db, None, "BTC", "150000", "151000", "150500", at=now() - dt.timedelta(hours=1))
    result = cli("floor", "buy", "BTC", "0.01")
    assert result.exit_code == 75
    assert result.stderr.startswith("omc: error: the latest BTC price is 36")  # 3600 s and up
    assert "s old, older than floor.max_price_age_seconds (300 s)" in result.stderr
    result = cli("floor", "buy", "BTC", "0")
    assert (result.exit_code, result.stderr) == (
        64,
        "omc: error: the amount must be more than 0, not 0\n",
    )
    result = cli("floor", "buy", "BTC", "1", "--max-slippage", "lots")
    assert result.exit_code == 64


def _store_keys(cli, key=KEY, secret=SECRET):
    assert cli("floor", "keys", "set", "--stdin", input=f"{key}\n{secret}\n").exit_code == 0


def test_keys_test_says_full_access_read_only_or_refused(cli, db, server):
    _store_keys(cli)
    result = cli("floor", "keys", "test")
    assert (result.exit_code, result.stdout) == (0, "CoinSpot key cli-…424242 works: full access\n")
    server.add_key("ro-key-CANARY-000111", SECRET, read_only=True)
    _store_keys(cli, key="ro-key-CANARY-000111")
    assert cli("floor", "keys", "test", "--json").stdout.count('"read-only"') == 1
    _store_keys(cli, key="unknown-key-CANARY-9")
    result = cli("floor", "keys", "test")
    assert result.exit_code == 77
    assert "CoinSpot does not accept key" in result.stderr
    assert "CANARY" not in result.output.replace("unkn…NARY-9", "")
    assert SECRET not in result.output


def test_live_order_needs_typed_confirmation(cli, db, server):
    _store_keys(cli)
    result = cli("floor", "buy", "BTC", "0.01", "--live", input="no\n")
    assert result.exit_code == 64
    assert "not confirmed: no order was sent" in result.stderr
    assert server.orders_at_server() == []
    result = cli("floor", "buy", "BTC", "0.01", "--live", input="yes\n")
    assert result.exit_code == 0, result.output
    assert "filled: buy 0.01 BTC at 151,000.00 AUD, fee 15.10 AUD (live default" in result.stdout
    assert len(server.orders_at_server()) == 1
    assert SECRET not in result.output
    assert KEY not in result.output


def test_live_unknown_order_blocks_and_reconcile_settles(cli, db, server):
    _store_keys(cli)
    server.fault("/my/buy/now", "hang")
    result = cli("floor", "buy", "BTC", "0.01", "--live", "--yes")
    server.state.release.set()
    # the answer was lost, but the order was carried out: settled at once from the history
    assert result.exit_code == 0, result.output
    server.fault("/my/buy/now", "500")
    result = cli("floor", "buy", "BTC", "0.01", "--live", "--yes")
    assert result.exit_code == 75
    assert result.stdout.startswith("unknown: buy BTC")
    orders = cli("floor", "orders", "--live")
    assert "trading is stopped for this account: 1 order(s) in an unknown state" in " ".join(
        orders.stdout.split()
    )
    result = cli("floor", "buy", "BTC", "0.01", "--live", "--yes")
    assert result.exit_code == 75
    assert "nothing trades until `omc floor reconcile` settles them" in result.stderr
    result = cli("floor", "reconcile", "--json")
    assert json.loads(result.stdout)["orders"][0]["status"] == "unknown"  # its window is open
    assert len(server.orders_at_server()) == 1
