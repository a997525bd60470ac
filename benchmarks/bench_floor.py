"""Benchmark the trading floor: time per tick for 20 deployments, and `omc floor replay` of a year
of hourly bars against `omc backtest run` on the same bars.

Not a test: it prints figures for the note on the issue. Ticks run `run_tick` for real on a
scratch SQLite database (or `--database-url`) holding a year of real BTC hourly bars from
../shared/data, through the real paper broker (no network). Replay and backtest are timed as
CLI commands in fresh interpreters (what a person runs), and in-process (the work alone).

    python benchmarks/bench_floor.py [--deployments 20] [--rounds 5] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("OMC_SHARED_DIR", ROOT.parent / "shared"))
BTC = SHARED / "data" / "binance_BTCUSDT_1h_2020-10_2025-10.csv.gz"
STRATEGIES = [
    ("sma_crossover", {"fast": 20, "slow": 100}),
    ("ema_crossover", {}),
    ("rsi_mean_reversion", {}),
    ("bollinger_breakout", {}),
    ("momentum", {"lookback": 24}),
]


def _all_bars():
    import pandas as pd

    bars = pd.read_csv(BTC, parse_dates=["open_time"], index_col="open_time")
    bars.index = bars.index.tz_localize("UTC")
    return bars


def _bars():
    return _all_bars()["2024-01-01":"2024-12-31"]


def _database(url: str | None, directory: Path) -> str:
    from omc import schema
    from omc.db import make_engine

    url = url or f"sqlite:///{directory / 'bench.sqlite3'}"
    engine = make_engine(url)
    schema.upgrade(engine)
    engine.dispose()
    return url


def _import(env: dict[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "omc", "data", "import", str(BTC), "--coin", "BTC", "--quote",
         "AUD", "--json"],
        check=True, capture_output=True, env=env,
    )  # fmt: skip


def _recent_market(engine) -> dt.datetime:
    """The last 5,000 real hourly bars as BTC/USDT, moved in time to end at the current hour
    (a tick reads what the collector would have stored by now); returns the newest bar time."""
    from omc.db import utcnow
    from omc.ledgers.history.store import prepare, write_bars

    frame = _all_bars().tail(5_000).reset_index(names="timestamp")
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    frame["timestamp"] = frame["timestamp"] + (now - frame["timestamp"].iloc[-1].to_pydatetime())
    write_bars(engine, prepare(frame, "BTC", "USDT", "bench", 3600))
    return now


def bench_ticks(
    url: str, count: int, rounds: int, redis_url: str | None = None
) -> tuple[list[float], list[float]]:
    """Milliseconds per tick that ordered and per tick that held: ``rounds`` ticks of
    ``count`` deployments each. With ``redis_url`` the latest price is in the hot cache, as
    the collector keeps it; without, the paper broker reads it from the database."""
    import sqlalchemy as sa

    from omc.db import session_scope
    from omc.floor.trading.deployments import PromoteRequest, build_deployment, save_deployment
    from omc.floor.trading.notify import notifier_from
    from omc.floor.trading.tick import TickContext, run_tick
    from omc.floor.trading.venues import gateway_factory
    from omc.ledgers.exchange.models import PriceBar
    from omc.runtime import Runtime
    from omc.settings import load_settings

    overrides = {"database_url": url, "redis_url": redis_url}
    runtime = Runtime(loaded=load_settings(overrides=overrides))
    engine = runtime.engine()
    table = PriceBar.__table__
    newest = _recent_market(engine)
    user = runtime.user_id()
    ids = []
    with session_scope(engine) as session:
        for number in range(count):
            name, params = STRATEGIES[number % len(STRATEGIES)]
            request = PromoteRequest(name, "BTC", quote="USDT", params=params, name=f"bench-{number}",
                                     capital="100", limits=["max_drawdown=1",
                                                            "daily_loss_limit=1"])  # fmt: skip
            ids.append(
                save_deployment(session, build_deployment(runtime.settings, user, request)).id
            )
    context = TickContext(
        engine, runtime.settings, gateway_factory(runtime), notifier_from(runtime.settings.notify)
    )
    ordered: list[float] = []
    held: list[float] = []
    outcomes: dict[str, int] = {}
    for round_number in range(rounds):
        # Each round is the next bar's close; the newest price is "collected" just now (imported
        # bars carry no bid/ask: the last price stands in for both).
        # The paper broker judges a price's age on the real clock: the ticks are in the coming
        # hours, and the newest bar was "collected" then.
        now = newest + dt.timedelta(hours=round_number + 1, seconds=5)
        with engine.begin() as connection:
            connection.execute(
                sa.update(table)
                .where(table.c.timestamp == newest, table.c.quote == "USDT")
                .values(collected_at=now, bid=table.c.last, ask=table.c.last)
            )
            row = connection.execute(
                sa.select(table).where(table.c.timestamp == newest, table.c.quote == "USDT")
            ).first()
        if redis_url:
            from omc.cache import open_cache
            from omc.ledgers.exchange.latest import store_latest

            store_latest(open_cache(redis_url), [row._asdict()], ttl=3600)
        context.clock = lambda now=now: now
        for deployment_id in ids:
            start = time.perf_counter()
            result = run_tick(context, deployment_id, now)
            took = (time.perf_counter() - start) * 1000
            (ordered if result.outcome == "ordered" else held).append(took)
            outcomes[result.outcome] = outcomes.get(result.outcome, 0) + 1
    runtime.close()
    print(f"tick outcomes: {outcomes}")
    return ordered, held


def bench_commands(env: dict[str, str], runs: int) -> dict[str, list[float]]:
    span = ["--since", "2024-01-01", "--until", "2025-01-01"]
    common = ["sma_crossover", "--coin", "BTC", "--quote", "AUD", *span, "--json"]
    commands = {
        "omc backtest run": [sys.executable, "-m", "omc", "backtest", "run", *common],
        "omc floor replay": [sys.executable, "-m", "omc", "floor", "replay", *common,
                             "--limit", "max_drawdown=1", "--limit", "daily_loss_limit=1"],
    }  # fmt: skip
    out: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True, env=env)
            out[name].append(time.perf_counter() - start)
    return out


def bench_in_process(runs: int) -> dict[str, list[float]]:
    from omc.backtest.costs import CostModel
    from omc.backtest.runner import run_backtest
    from omc.floor.trading.limits import resolve_limits
    from omc.floor.trading.replay import compare_with_backtest, replay_bars
    from omc.settings.floor import FloorSettings

    bars = _bars()
    limits = resolve_limits(FloorSettings(), {"max_drawdown": "1", "daily_loss_limit": "1"})
    out: dict[str, list[float]] = {"run_backtest": [], "replay_bars": [], "replay + compare": []}
    for _ in range(runs):
        start = time.perf_counter()
        run_backtest(bars, "sma_crossover", {}, CostModel(), 10_000.0)
        out["run_backtest"].append(time.perf_counter() - start)
        start = time.perf_counter()
        result = replay_bars(bars, "sma_crossover", {}, CostModel(), Decimal(10_000), limits)
        out["replay_bars"].append(time.perf_counter() - start)
        compare_with_backtest(result, bars, CostModel(), Decimal(10_000))
        out["replay + compare"].append(time.perf_counter() - start)
    return out


def _line(name: str, values: list[float], unit: str) -> str:
    if not values:
        return f"  {name:<24} none"
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"  {name:<24} median {statistics.median(values):8.2f} {unit}  p95 {p95:8.2f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deployments", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", help="keep the latest price in this Redis, as collected")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        url = _database(args.database_url, Path(directory))
        env = {**os.environ, "OMC_DATABASE_URL": url, "OMC_HOME": str(Path(directory) / "home")}
        os.environ.update({"OMC_DATABASE_URL": url, "OMC_HOME": env["OMC_HOME"]})
        _import(env)
        ordered, held = bench_ticks(url, args.deployments, args.rounds, args.redis_url)
        where = "Redis" if args.redis_url else "the database"
        print(f"ticks: {args.deployments} deployments x {args.rounds} bars, 5 years of hourly "
              f"BTC stored, paper broker, {url.split(':')[0]}, latest price from {where}")  # fmt: skip
        print(_line(f"tick with an order ({len(ordered)})", ordered, "ms"))
        print(_line(f"tick without ({len(held)})", held, "ms"))
        print(_line("every tick", ordered + held, "ms"))
        commands = bench_commands(env, args.runs)
        print("a year of hourly bars (8,784), sma_crossover, as CLI commands:")
        for name, values in commands.items():
            print(_line(name, values, "s"))
        ratio = statistics.median(commands["omc floor replay"]) / statistics.median(
            commands["omc backtest run"]
        )
        print(f"  replay / backtest: {ratio:.2f}x")
        work = bench_in_process(args.runs)
        print("the same, in process (no interpreter start, no database):")
        for name, values in work.items():
            print(_line(name, values, "s"))


if __name__ == "__main__":
    main()
