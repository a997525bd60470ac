"""Import and query speed of the market-data paths beside the raw drivers, in the same run.

Prints rows/s for ``import_file`` against raw ``sqlite3`` executemany and raw psycopg COPY (both
reading the same file with the csv module into a plain table: the floor of what a driver does),
and on PostgreSQL also against raw psycopg COPY of the same rows into a table of
``price_data_5min``'s shape (its columns and primary key: the floor for that table),
and p50/p95 of ``fetch_price_data`` for 24 h / 7 d / 30 d of one coin beside the raw driver
fetching the same rows. Not a timed test: a script that prints figures.

    .venv/bin/python benchmarks/bench_market_data.py --rows 1000000 --coins 50 --days 365
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import random
import secrets
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from omc import schema
from omc.db import make_engine
from omc.ledgers.history.importer import import_file
from omc.ledgers.tools import fetch_price_data

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BTC_HOURLY = (
    Path(__file__).resolve().parents[2] / "shared/data/binance_BTCUSDT_1h_2020-10_2025-10.csv.gz"
)
START = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)


def generate_file(path: Path, rows: int) -> None:
    """ccxt layout, 5-minute bars, a random walk."""
    price = 40000.0
    with gzip.open(path, "wt") as handle:
        handle.write("open_time,open,high,low,close,volume\n")
        for i in range(rows):
            stamp = START + dt.timedelta(minutes=5 * i)
            step = price * random.uniform(-0.002, 0.002)
            close = price + step
            handle.write(f"{stamp:%Y-%m-%d %H:%M:%S},{price:.2f},{max(price, close) * 1.001:.2f},"
                         f"{min(price, close) * 0.999:.2f},{close:.2f},{random.uniform(1, 50):.4f}\n")  # fmt: skip
            price = close


def read_rows(path: Path) -> list[tuple]:
    with gzip.open(path, "rt") as handle:
        reader = csv.reader(handle)
        next(reader)
        return [tuple(row) for row in reader]


def raw_sqlite(path: Path, directory: Path) -> float:
    started = time.perf_counter()
    rows = read_rows(path)
    connection = sqlite3.connect(directory / "raw.sqlite3")
    connection.execute(
        "CREATE TABLE bars (t TEXT, o NUMERIC, h NUMERIC, l NUMERIC, c NUMERIC, v NUMERIC)"
    )
    with connection:
        connection.executemany("INSERT INTO bars VALUES (?, ?, ?, ?, ?, ?)", rows)
    connection.close()
    return len(rows) / (time.perf_counter() - started)


def raw_copy(path: Path, schema_name: str) -> float:
    import psycopg

    started = time.perf_counter()
    rows = read_rows(path)
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as connection:
        connection.execute(f'SET search_path TO "{schema_name}"')
        connection.execute(
            "CREATE TABLE raw_bars (t timestamptz, o numeric, h numeric, l numeric, c numeric, v numeric)"
        )
        with connection.cursor().copy("COPY raw_bars FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    return len(rows) / (time.perf_counter() - started)


def raw_copy_keyed(path: Path, schema_name: str) -> float:
    """Raw psycopg COPY of the same rows into a table shaped like ``price_data_5min`` (its columns
    and its primary key): the floor any importer can reach into that table."""
    import psycopg

    started = time.perf_counter()
    rows = read_rows(path)
    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test") as connection:
        connection.execute(f'SET search_path TO "{schema_name}"')
        connection.execute(
            "CREATE TABLE raw_keyed (LIKE price_data_5min INCLUDING DEFAULTS INCLUDING INDEXES)"
        )
        names = "timestamp, coin_type, quote, last, open, high, low, volume, source, collected_at"
        with connection.cursor().copy(f"COPY raw_keyed ({names}) FROM STDIN") as copy:
            for t, o, h, l, c, v in rows:  # noqa: E741
                copy.write_row((t, "BTC", "USDT", c, o, h, l, v, "import", t))
    return len(rows) / (time.perf_counter() - started)


def ours(engine, path: Path, rows: int) -> float:
    """Warm: this process has imported pandas already (see :func:`ours_cold`)."""
    import pandas  # noqa: F401

    started = time.perf_counter()
    result = import_file(engine, path, coin="BTC", quote="USDT")
    assert (result.bars, result.inserted) == (rows, rows), result
    return rows / (time.perf_counter() - started)


COLD = """
import sys, time
from omc.db import make_engine
from omc.ledgers.history.importer import import_file
assert "pandas" not in sys.modules
engine = make_engine(sys.argv[1])
started = time.perf_counter()
result = import_file(engine, __import__("pathlib").Path(sys.argv[2]), coin="BTC", quote="USDT")
print(result.inserted / (time.perf_counter() - started))
"""


def ours_cold(url: str, path: Path) -> float:
    """A fresh interpreter (as ``omc data import`` is): the time includes importing pandas."""
    import subprocess
    import sys

    output = subprocess.run(
        [sys.executable, "-c", COLD, url, str(path)], check=True, capture_output=True, text=True
    )
    return float(output.stdout.strip())


def pg_schema() -> tuple[str, str]:
    name = f"omc_bench_{secrets.token_hex(6)}"  # not from the seeded generator
    admin = make_engine(PG)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    admin.dispose()
    return name, f"{PG}?options=-csearch_path%3D{name}"


def drop_schema(name: str) -> None:
    admin = make_engine(PG)
    with admin.begin() as connection:
        connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
    admin.dispose()


def _report(
    label: str, database: str, kind: str, ours_rate: float, raw: float, raw_name: str
) -> None:
    print(f"import {label} {database} {kind}: ours {ours_rate:,.0f} rows/s, {raw_name} "
          f"{raw:,.0f} rows/s, ratio {ours_rate / raw:.2f}")  # fmt: skip


def bench_import(files: list[tuple[str, Path, int]], directory: Path, cold: bool) -> None:
    """Each file into an empty database, ours then the raw driver, warm (and cold if asked)."""
    for label, path, rows in files:
        for kind in ("cold", "warm") if cold else ("warm",):
            target = directory / f"ours-{label}-{kind}.sqlite3"
            sqlite_engine = make_engine(f"sqlite:///{target}")
            schema.upgrade(sqlite_engine)
            if kind == "cold":
                ours_sqlite = ours_cold(f"sqlite:///{target}", path)
            else:
                ours_sqlite = ours(sqlite_engine, path, rows)
            (directory / "raw.sqlite3").unlink(missing_ok=True)
            raw = raw_sqlite(path, directory)
            _report(label, "SQLite", kind, ours_sqlite, raw, "raw sqlite3 executemany")
            name, url = pg_schema()
            try:
                pg_engine = make_engine(url)
                schema.upgrade(pg_engine)
                ours_pg = ours_cold(url, path) if kind == "cold" else ours(pg_engine, path, rows)
                pg_engine.dispose()
                raw = raw_copy(path, name)
                _report(
                    label,
                    "PostgreSQL",
                    kind,
                    ours_pg,
                    raw,
                    "floor: raw psycopg COPY of the file's 6 columns into an unindexed table",
                )
                keyed = raw_copy_keyed(path, name)
                _report(
                    label,
                    "PostgreSQL",
                    kind,
                    ours_pg,
                    keyed,
                    "raw psycopg COPY of the same rows into the same table (the target's baseline)",
                )
            finally:
                drop_schema(name)


def load_coins(engine, directory: Path, coins: int, days: int) -> None:
    bars = days * 288
    path = directory / "coin.csv.gz"
    generate_file(path, bars)
    for index in range(coins):
        import_file(engine, path, coin=f"C{index:02d}", quote="AUD")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def bench_queries(engine, label: str, days: int, repeats: int) -> None:
    end = START + dt.timedelta(days=days)
    raw = engine.raw_connection()
    held = engine.connect()  # as the raw driver's connection is: already open
    is_pg = engine.dialect.name == "postgresql"
    for window in (1, 7, 30):
        start = end - dt.timedelta(days=window)
        ours_ms, held_ms, raw_ms, count = [], [], [], 0
        if is_pg:
            sql = ("SELECT timestamp, quote, bid::float8, ask::float8, last::float8 FROM price_data_5min "
                   "WHERE coin_type = %s AND timestamp >= %s AND timestamp <= %s ORDER BY timestamp")  # fmt: skip
            args = ("C07", start, end)
        else:
            sql = ("SELECT timestamp, quote, bid, ask, last FROM price_data_5min WHERE coin_type = ? "
                   "AND timestamp >= ? AND timestamp <= ? ORDER BY timestamp")  # fmt: skip
            args = ("C07", start.isoformat(), end.isoformat())  # as SQLite stores bar times
        for _ in range(repeats):
            began = time.perf_counter()
            with engine.connect() as connection:
                count = len(fetch_price_data(connection, "C07", start, end))
            ours_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            fetch_price_data(held, "C07", start, end)
            held_ms.append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            cursor = raw.cursor()
            cursor.execute(sql, args)
            raw_count = len(cursor.fetchall())
            cursor.close()
            raw_ms.append((time.perf_counter() - began) * 1000)
        assert raw_count == count, (raw_count, count)
        raw_p50 = statistics.median(raw_ms)
        print(f"fetch_price_data {label} {window:>2}d ({count} rows): on the caller's connection p50 "
              f"{statistics.median(held_ms):.2f} ms p95 {percentile(held_ms, 0.95):.2f} ms "
              f"(ratio {statistics.median(held_ms) / raw_p50:.2f}); with a pool checkout p50 "
              f"{statistics.median(ours_ms):.2f} ms p95 {percentile(ours_ms, 0.95):.2f} ms "
              f"(ratio {statistics.median(ours_ms) / raw_p50:.2f}); raw driver "
              f"p50 {raw_p50:.2f} ms p95 {percentile(raw_ms, 0.95):.2f} ms")  # fmt: skip
    held.close()
    raw.close()


LATEST_COINS = ["BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "LINK", "TRX",
                "BCH", "XLM", "ATOM", "UNI", "AVAX", "SHIB", "POWR"]  # fmt: skip


def _serve_latest():  # type: ignore[no-untyped-def]
    """A loopback CoinSpot ``/latest``: 17 coins, a new price on every request."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    counter = iter(range(1, 1 << 30))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            step = next(counter)
            prices = {
                coin.lower(): {"bid": f"{100 + step}.5", "ask": f"{101 + step}", "last": f"{100 + step}.75"}
                for coin in LATEST_COINS
            }  # fmt: skip
            body = json.dumps({"status": "ok", "prices": prices}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def bench_latency(engine, label: str, directory: Path, polls: int) -> None:
    """Poll to queryable: from the HTTP response (``fetch`` returning) to ``fetch_price_data``
    returning the new ``last`` on a fresh connection, for one CoinSpot poll of 17 coins."""
    from omc.cache import InProcessCache
    from omc.db import utcnow
    from omc.ledgers.exchange.coinspot import CoinSpotPrices
    from omc.ledgers.runner import run_source
    from omc.ledgers.source import CollectContext
    from omc.settings import MarketSettings, Settings

    server = _serve_latest()
    url = f"http://127.0.0.1:{server.server_address[1]}/pubapi/v2"
    settings = Settings(
        home=directory / "home", market=MarketSettings(coinspot_url=url, watchlist=[])
    )
    ctx = CollectContext(settings=settings, cache=InProcessCache())
    source = CoinSpotPrices()
    received: list[float] = []
    fetch = source.fetch

    def timed_fetch(context):  # type: ignore[no-untyped-def]
        raw = fetch(context)
        received.append(time.perf_counter())
        return raw

    source.fetch = timed_fetch  # type: ignore[method-assign]
    latencies = []
    for _ in range(polls):
        result = run_source(engine, ctx, source)
        assert result.status == "ok", result
        with engine.connect() as connection:
            rows = fetch_price_data(connection, "btc", utcnow() - dt.timedelta(minutes=10))
        latencies.append((time.perf_counter() - received[-1]) * 1000)
        assert rows, "the polled price is not queryable"
        assert rows[-1]["last"] == 100 + len(received) + 0.75, rows[-1]
    server.shutdown()
    print(f"poll-to-queryable {label} (17 coins, {polls} polls): p50 "
          f"{statistics.median(latencies):.1f} ms p95 {percentile(latencies, 0.95):.1f} ms "
          f"max {max(latencies):.1f} ms")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the generated file")
    parser.add_argument("--coins", type=int, default=50)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--skip-import", action="store_true")
    parser.add_argument("--only", choices=["import", "query", "latency"], help="run one part")
    parser.add_argument("--cold", action="store_true", help="also import in a fresh interpreter")
    parser.add_argument("--polls", type=int, default=30)
    options = parser.parse_args()
    random.seed(7)
    with tempfile.TemporaryDirectory() as temporary:
        directory = Path(temporary)
        if options.only in (None, "latency"):
            latency_sqlite = make_engine(f"sqlite:///{directory / 'latency.sqlite3'}")
            schema.upgrade(latency_sqlite)
            bench_latency(latency_sqlite, "SQLite", directory, options.polls)
            name, url = pg_schema()
            try:
                latency_pg = make_engine(url)
                schema.upgrade(latency_pg)
                bench_latency(latency_pg, "PostgreSQL", directory, options.polls)
                latency_pg.dispose()
            finally:
                drop_schema(name)
        if options.only in (None, "import") and not options.skip_import:
            generated = directory / "generated.csv.gz"
            generate_file(generated, options.rows)
            bench_import(
                [("BTC hourly 43,780", BTC_HOURLY, 43780), (f"generated {options.rows:,}", generated, options.rows)],
                directory,
                options.cold,
            )  # fmt: skip
        if options.only not in (None, "query"):
            return
        print(f"loading {options.coins} coins x {options.days} days of 5-minute bars "
              f"({options.coins * options.days * 288:,} rows) per database")  # fmt: skip
        sqlite_engine = make_engine(f"sqlite:///{directory / 'query.sqlite3'}")
        schema.upgrade(sqlite_engine)
        load_coins(sqlite_engine, directory, options.coins, options.days)
        bench_queries(sqlite_engine, "SQLite", options.days, options.repeats)
        name, url = pg_schema()
        try:
            pg_engine = make_engine(url)
            schema.upgrade(pg_engine)
            load_coins(pg_engine, directory, options.coins, options.days)
            with pg_engine.begin() as connection:
                connection.execute(sa.text("ANALYZE price_data_5min"))
            bench_queries(pg_engine, "PostgreSQL", options.days, options.repeats)
            pg_engine.dispose()
        finally:
            drop_schema(name)


if __name__ == "__main__":
    main()
