"""Benchmark: omc's own time per order on the paper broker and on the CoinSpot broker, and FIFO
P&L over 100,000 trades.

Not a test: it prints figures for the note on the issue (targets: under 5 ms per order excluding
the network, P&L over 100,000 trades under 200 ms).

- paper: ``PaperBroker.buy``/``sell`` end to end (price lookup, the checks, one transaction
  writing the order, its trade, the position's FIFO lots and the cash);
- coinspot: ``CoinSpotBroker.buy`` against the loopback CoinSpot of the tests (signatures and
  nonces checked), minus the time spent inside HTTP requests (measured by a timing transport
  around httpx's own), which leaves omc's own time: three signed requests each with its nonce
  committed, the order row committed before sending, the fill, the fee from the history;
- pnl: ``compute_pnl`` over 100,000 trades in memory, and ``account_pnl`` reading them from the
  database first.

``python benchmarks/bench_brokers.py [--orders 300] [--database-url postgresql+psycopg://…]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from omc import schema
from omc.cache import InProcessCache
from omc.core.users import get_or_create_user
from omc.db import make_engine, session_scope
from omc.floor.brokers import AccountRef, BrokerConfig
from omc.floor.brokers.coinspot import CoinSpotBroker
from omc.floor.brokers.coinspot_client import CoinSpotClient
from omc.floor.brokers.nonce import NonceSource, key_fingerprint
from omc.floor.brokers.paper import PaperBroker
from omc.floor.brokers.prices import LatestPrices
from omc.floor.pnl import TradeRow, account_pnl, compute_pnl
from omc.ledgers.exchange.latest import store_latest
from omc.ledgers.exchange.models import Order, Trade
from tests.floor.coinspot_server import LoopbackCoinSpot

D = Decimal


def percentiles(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
    return f"p50 {statistics.median(values):.2f} ms, p95 {p95:.2f} ms, n={len(values)}"


class TimingTransport(httpx.BaseTransport):
    """httpx's transport, timed: the seconds spent on the wire and in the server."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.seconds = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        start = time.perf_counter()
        response = self.inner.handle_request(request)
        response.read()
        self.seconds += time.perf_counter() - start
        return response

    def close(self) -> None:
        self.inner.close()


def scratch_schema(url: str) -> tuple[str, str]:
    """A throw-away PostgreSQL schema (first on the search path), so nothing shared is touched."""
    from urllib.parse import quote

    import sqlalchemy as sa

    name = f"omc_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    separator = "&" if "?" in url else "?"
    return name, f"{url}{separator}options={quote(f'-csearch_path={name}')}"


def drop_schema(url: str, name: str) -> None:
    import sqlalchemy as sa

    admin = make_engine(url)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def fresh_engine(url: str | None, directory: Path):
    engine = make_engine(url or f"sqlite:///{directory / f'bench-{uuid.uuid4().hex[:6]}.sqlite3'}")
    schema.upgrade(engine)
    with session_scope(engine) as session:
        user_id = get_or_create_user(session, f"bench-{uuid.uuid4().hex[:6]}").id
    return engine, user_id


def bench_commit(engine, count: int = 100) -> list[float]:
    """The floor under any order: one committed one-row UPDATE on this database, now."""
    from omc.floor.models import CoinspotNonce

    table = CoinspotNonce.__table__
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            table.insert().values(key_fingerprint="bench", last_nonce=0, updated_at=now)
        )
    update = table.update().where(table.c.key_fingerprint == "bench")
    timings = []
    for i in range(count):
        start = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(update.values(last_nonce=i + 1))
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def bench_paper(engine, user_id, orders: int) -> list[float]:
    cache = InProcessCache()
    now = dt.datetime.now(dt.UTC)
    row = {"coin_type": "BTC", "quote": "AUD", "bid": D("150000"), "ask": D("151000"),
           "last": D("150500"), "source": "coinspot", "collected_at": now}  # fmt: skip
    store_latest(cache, [row], ttl=None)
    config = BrokerConfig(initial_cash=D("100000000"), max_price_age_seconds=3600)
    broker = PaperBroker(
        engine, AccountRef(user_id, "paper", "bench"), LatestPrices(cache, engine), config=config
    )
    timings = []
    for i in range(orders):
        start = time.perf_counter()
        if i % 3 == 2:
            broker.sell("BTC", D("0.001"))
        else:
            broker.buy("BTC", D("0.001"))
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def bench_coinspot(engine, user_id, orders: int) -> tuple[list[float], list[float]]:
    with LoopbackCoinSpot() as server:
        server.add_key("bench-key", "bench-secret")
        server.set_rate("BTC", "150000", "151000")
        server.state.balances["AUD"] = D("100000000")
        transport = TimingTransport()
        client = CoinSpotClient(
            server.url, "bench-key", "bench-secret",
            NonceSource(engine, key_fingerprint(f"bench-key-{uuid.uuid4().hex}")),
            transport=transport, requests_per_minute=1_000_000,
        )  # fmt: skip
        broker = CoinSpotBroker(
            engine, AccountRef(user_id, "live", "bench"), client, config=BrokerConfig()
        )
        broker.buy("BTC", D("0.001"))  # the first order also reads the opening balance
        own, total = [], []
        for _ in range(orders):
            transport.seconds = 0.0
            start = time.perf_counter()
            result = broker.buy("BTC", D("0.001"))
            elapsed = time.perf_counter() - start
            assert result.status == "filled", result
            total.append(elapsed * 1000)
            own.append((elapsed - transport.seconds) * 1000)
        assert not server.state.nonce_violations
        broker.close()
    return own, total


def make_trades(count: int) -> list[TradeRow]:
    rng = random.Random(7)
    t0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    held = {"BTC": D(0), "ETH": D(0), "SOL": D(0)}
    rows = []
    for i in range(count):
        coin = ("BTC", "ETH", "SOL")[i % 3]
        price = D(str(round(rng.uniform(100, 200), 2)))
        quantity = D(str(round(rng.uniform(0.01, 1), 4)))
        side = "sell" if held[coin] >= quantity and rng.random() < 0.45 else "buy"
        held[coin] += quantity if side == "buy" else -quantity
        rows.append(TradeRow(coin, side, quantity, price, quantity * price / 100,
                             t0 + dt.timedelta(minutes=i)))  # fmt: skip
    return rows


def bench_pnl(engine, user_id, count: int) -> tuple[list[float], list[float]]:
    rows = make_trades(count)
    bids = {"BTC": D(150), "ETH": D(150), "SOL": D(150)}
    memory = []
    for _ in range(5):
        start = time.perf_counter()
        compute_pnl(rows, cash=D(0), initial_cash=D(0), bids=bids)
        memory.append((time.perf_counter() - start) * 1000)
    ref = AccountRef(user_id, "paper", "pnl-bench")
    order_id = uuid.uuid4()
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as connection:
        connection.execute(
            Order.__table__.insert(),
            [{"id": order_id, "user_id": user_id, "client_order_id": f"bench-{order_id.hex}",
              "account": ref.name, "coin_type": "BTC", "quote": "AUD", "side": "buy",
              "order_type": "market", "mode": "paper", "status": "filled", "amount_type": "coin",
              "quantity": D(1), "filled_quantity": D(1), "created_at": now,
              "collected_at": now}],
        )  # fmt: skip
        connection.execute(
            Trade.__table__.insert(),
            [{"id": uuid.uuid4(), "order_id": order_id, "user_id": user_id,
              "trade_key": f"bench:{order_id.hex}:{i}", "account": ref.name, "mode": "paper",
              "coin_type": r.coin, "quote": "AUD", "side": r.side, "quantity": r.quantity,
              "price": r.price, "fee": r.fee, "fee_currency": "AUD", "fee_source": "paper",
              "executed_at": r.executed_at, "collected_at": now}
             for i, r in enumerate(rows)],
        )  # fmt: skip
    stored = []
    for _ in range(3):
        start = time.perf_counter()
        account_pnl(engine, ref, bids=bids)
        stored.append((time.perf_counter() - start) * 1000)
    return memory, stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--trades", type=int, default=100_000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    scratch = None
    url = args.database_url
    if url and url.startswith("postgres"):
        scratch, url = scratch_schema(url)
    try:
        run(url, args)
    finally:
        if scratch:
            drop_schema(args.database_url, scratch)


def run(url: str | None, args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as directory:
        engine, user_id = fresh_engine(url, Path(directory))
        print(f"database: {engine.dialect.name}")
        print(f"baseline, one committed one-row UPDATE: {percentiles(bench_commit(engine))}")
        paper = bench_paper(engine, user_id, args.orders)
        print(f"paper broker, time per order (omc's own, no network): {percentiles(paper)}")
        own, total = bench_coinspot(engine, user_id, args.orders)
        print(f"CoinSpot broker, time per order excluding the network: {percentiles(own)}")
        print(
            f"CoinSpot broker, time per order with the loopback round trips: {percentiles(total)}"
        )
        memory, stored = bench_pnl(engine, user_id, args.trades)
        print(f"P&L over {args.trades:,} trades, in memory (compute_pnl): {percentiles(memory)}")
        print(f"P&L over {args.trades:,} trades, read from the database (account_pnl): "
              f"{percentiles(stored)}")  # fmt: skip
        engine.dispose()


if __name__ == "__main__":
    main()
