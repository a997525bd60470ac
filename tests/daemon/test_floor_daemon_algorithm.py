"""A recipe algorithm promoted to paper trades under the floor daemon, a real subprocess.

The recipe is built once per dialect on a real month of BTC/USDT hours. The test then lays the
month down again as the newest stored 5-minute rows, ending at a bar where the algorithm's own
targets (computed here, on the same bars) say long, with that last bar's price collected just
now. Only the floor role runs (no collector moves the last bar), on 1-second bars: the first
tick must buy at the stored ask through the paper broker, and later ticks hold.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal

import pytest
import sqlalchemy as sa

from omc.db import make_engine, session_scope, utcnow
from omc.floor.trading.models import Deployment
from omc.floor.trading.targets import bar_close
from omc.ledgers.exchange.bars import bucket_start
from omc.ledgers.exchange.models import Order, PriceBar
from tests.daemon.conftest import wait_for
from tests.daemon.test_floor_daemon import STOP_BOUND, decisions
from tests.lab.conftest import environment, made, month_market  # noqa: F401

pytestmark = pytest.mark.slow
STORED = dt.timedelta(minutes=5)  # the spacing of the rows the collector writes
SPREAD = Decimal("7.5")  # the last bar's ask and bid, either side of its close


@pytest.fixture
def engine(made):  # noqa: F811
    """The recipe's database (overrides the empty one ``start_daemon`` would use)."""
    engine = make_engine(made[0])
    yield engine
    engine.dispose()


def strategy_of(engine, home):
    from omc.lab.algorithms import load_strategy

    return load_strategy(engine, home, "algo:btc-month")


def spaced(count: int, newest: dt.datetime):
    """``count`` bar times 5 minutes apart, the last at ``newest``."""
    import pandas as pd

    return pd.date_range(end=newest, periods=count, freq=STORED, name="timestamp")


def lay_down_ending_long(engine, strategy, now: dt.datetime) -> tuple[int, dt.datetime, Decimal]:
    """Store the month again as 5-minute rows up to the last completed bucket, cut after the
    latest bar the algorithm is long on; that bar is collected ``now``, with a bid and an ask.

    Returns (rows stored, the last bar's time, its ask)."""
    from omc.backtest.data import BarsQuery, load_bars

    newest = bucket_start(now) - STORED
    month = load_bars(engine, BarsQuery("BTC", "USDT"))
    targets = strategy.targets(month.set_axis(spaced(len(month), newest)), {})
    long = [position for position, target in enumerate(targets) if target == 1]
    assert long, "the algorithm is never long on its own month"
    count = long[-1] + 1  # the features are causal: the same bars up to it, the same target
    table = PriceBar.__table__
    with engine.connect() as connection:
        stored = connection.execute(
            sa.select(table)
            .where(table.c.coin_type == "BTC", table.c.quote == "USDT")
            .order_by(table.c.timestamp)
            .limit(count)
        ).mappings()
        rows = [dict(row) for row in stored]
    for row, when in zip(rows, spaced(count, newest), strict=True):
        row.update(timestamp=when.to_pydatetime(), collected_at=when.to_pydatetime() + STORED)
    ask = rows[-1]["last"] + SPREAD
    rows[-1].update(bid=rows[-1]["last"] - SPREAD, ask=ask, collected_at=now)
    with engine.begin() as connection:
        connection.execute(sa.insert(table), rows)
    return count, newest, ask


def seen_by_the_tick(engine, strategy, bar_seconds: int, decided_at: dt.datetime):
    """The bars a tick at ``decided_at`` loads (as ``run_tick`` does), and the algorithm's
    targets on them."""
    from omc.floor.trading.market import lookback_bars, tick_bars

    with session_scope(engine) as session:
        bars = tick_bars(
            session,
            "BTC",
            "USDT",
            bar_seconds,
            until=bar_close(decided_at, bar_seconds),
            as_of=decided_at,
            lookback=lookback_bars(strategy, {}),
        )
    return bars, strategy.targets(bars, {})


def test_a_recipe_algorithm_on_paper_buys_on_its_long_bar_under_the_daemon_then_holds(
    engine,
    made,  # noqa: F811
    start_daemon,
    cli,
):
    from omc.floor.trading.tick import inputs_hash

    url, home, _ = made
    strategy = strategy_of(engine, home)
    count, newest, ask = lay_down_ending_long(engine, strategy, utcnow())
    bars, targets = seen_by_the_tick(engine, strategy, 1, utcnow())
    assert (len(bars), bars.index[-1]) == (count, newest)  # the month's hours, newest last
    assert targets[-1] == 1.0
    promoted = cli("floor", "promote", "algo:btc-month", "--coin", "BTC", "--quote", "USDT",
                   "--interval", "1s", "--capital", "1000", "--json",
                   env=environment(url, home))  # fmt: skip
    assert promoted.exit_code == 0, promoted.output
    view = json.loads(promoted.output)
    assert view["target"] == "algo:btc-month@1"
    with session_scope(engine) as session:
        deployment = session.get(Deployment, uuid.UUID(view["id"]))
    daemon = start_daemon(
        [],
        env={"OMC_FLOOR__SYNC_SECONDS": "0.2", "OMC_FLOOR__TICK_DELAY_SECONDS": "0"},
        args=["--role", "floor"],
    )
    first = wait_for(
        lambda: next(
            (d for d in decisions(engine, deployment.id)[:1] if d.outcome != "pending"), None
        ),
        what="the first tick, settled",
    )
    assert first.outcome == "ordered", (first.reason, daemon.output())
    bars, targets = seen_by_the_tick(engine, strategy, 1, first.decided_at)
    assert bars.index[-1] == newest
    assert first.inputs_hash == inputs_hash(bars, deployment)  # the bars this test read
    assert first.target == targets[-1] == 1.0
    assert first.side == "buy"
    assert first.filled_price == ask  # the stored ask: no collector, no cache, the database
    with engine.connect() as connection:
        (order,) = connection.execute(sa.select(Order.__table__)).mappings().all()
    assert order["client_order_id"] == first.client_order_id
    assert (order["mode"], order["status"], order["side"]) == ("paper", "filled", "buy")
    assert (order["coin_type"], order["quote"]) == ("BTC", "USDT")
    assert order["average_fill_price"] == ask
    with session_scope(engine) as session:
        units = session.get(Deployment, deployment.id).units
    assert units > 0
    assert units == pytest.approx(order["filled_quantity"], abs=Decimal("1e-10"))
    # More ticks on the same bars: the same target, held; still the one order.
    wait_for(lambda: len(decisions(engine, deployment.id)) >= 4, what="three more ticks")
    later = decisions(engine, deployment.id)[1:]
    assert [(d.outcome, d.target, d.reason) for d in later] == [
        ("held", 1.0, "target 1 unchanged")
    ] * len(later)
    assert {d.inputs_hash for d in later} == {first.inputs_hash}
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(Order.__table__)).scalar()
            == 1
        )
    code, took = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    assert took < STOP_BOUND
