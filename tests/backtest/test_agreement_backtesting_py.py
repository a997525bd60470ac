"""omc's SMA crossover agrees with backtesting.py on real BTC hourly history.

Conventions aligned, and why:

- Execution: backtesting.py's default `trade_on_close=False` fills a market order placed in
  `next()` at bar t at the open of bar t+1, which is omc's convention.
- Warm-up: backtesting.py first calls `next()` one bar *after* the first bar where every
  indicator is defined (start = 1 + leading NaNs), while omc acts on the first bar with a
  defined signal. We give backtesting.py's slow average a value of +inf one bar earlier, so it
  starts on omc's first signal bar; +inf makes "fast > slow" false there, so no trade.
- Fees: backtesting.py's `commission` is a fraction of each fill's value, charged on entry and
  on exit, which is how omc models CoinSpot's fee. No spread or slippage on either side.
- Sizing: omc invests all equity (value + fee = cash). backtesting.py treats `size` below 1 as
  a fraction of available cash and buys whole units with room for the fee; `size=1 - 1e-12`
  and `FractionalBacktest(fractional_unit=1e-8)` (whole satoshis) reproduce all-in sizing to
  within a satoshi per trade, and 1,000,000 of cash keeps that rounding below 1e-9 of equity.
- Open trade at the end: backtesting.py (`finalize_trades=False`) leaves it out of `_trades`
  and marks it to market without an exit fee, as omc's equity does; omc lists it as `open`.

omc's side runs twice more on the same history imported through `omc data import` into SQLite
and PostgreSQL and read back by the backtest loader, so the path users take (import, then
backtest from the database) is held to the same agreement. The import stores the file's close
as `last`, which the loader returns as `close`; prices survive the round trip exactly (SQLite
REAL, PostgreSQL NUMERIC from the shortest decimal form of each float).
"""

import json
import warnings

import numpy as np
import pandas as pd
import pytest

from omc.backtest.costs import CostModel
from omc.backtest.data import BarsQuery, load_bars
from omc.backtest.runner import run_backtest
from omc.db import make_engine

backtesting = pytest.importorskip("backtesting")
from backtesting import Strategy as BacktestingStrategy  # noqa: E402
from backtesting.lib import FractionalBacktest  # noqa: E402

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
FEE_RATE = 0.001
CASH = 1_000_000.0
FAST, SLOW = 20, 100


class SmaCross(BacktestingStrategy):
    """The same rule written independently for backtesting.py, with pandas rolling means."""

    fast = FAST
    slow = SLOW

    def init(self) -> None:
        def moving_average(close: np.ndarray, period: int, defined_from: int) -> np.ndarray:
            values = pd.Series(close).rolling(period).mean().to_numpy().copy()
            if defined_from < period - 1:
                values[defined_from] = np.inf  # see "Warm-up" in the module docstring
            return values

        self.fast_average = self.I(moving_average, self.data.Close, self.fast, self.fast - 1)
        self.slow_average = self.I(moving_average, self.data.Close, self.slow, self.slow - 2)

    def next(self) -> None:
        wanted = self.fast_average[-1] > self.slow_average[-1]
        if wanted and not self.position:
            self.buy(size=1 - 1e-12)
        elif not wanted and self.position:
            self.position.close()


@pytest.fixture(scope="module")
def reference(btc_hourly: pd.DataFrame):
    """backtesting.py's run on the CSV, read directly."""
    data = btc_hourly.rename(columns=str.capitalize).tz_localize(None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return FractionalBacktest(
            data,
            SmaCross,
            cash=CASH,
            commission=FEE_RATE,
            trade_on_close=False,
            fractional_unit=1e-8,
        ).run()


def bars_from(source: str, request: pytest.FixtureRequest) -> pd.DataFrame:
    """The BTC hourly bars: read from the CSV, or imported into a database and loaded back."""
    if source == "csv":
        return request.getfixturevalue("btc_hourly")
    url = request.getfixturevalue("imported_btc_hourly")(source)
    engine = make_engine(url)
    try:
        return load_bars(engine, BarsQuery("BTC", "USDT"))
    finally:
        engine.dispose()


@pytest.fixture(scope="module", params=["csv", *DATABASES])
def both_results(request: pytest.FixtureRequest, reference):
    ours = run_backtest(
        bars_from(request.param, request),
        "sma_crossover",
        {"fast": FAST, "slow": SLOW},
        CostModel(fee_rate=FEE_RATE),
        initial_cash=CASH,
    )
    return reference, ours


def test_sma_crossover_on_btc_hourly_has_the_same_closed_trades_as_backtesting_py(both_results):
    reference, ours = both_results
    reference_trades = reference["_trades"]
    our_trades = ours.trades_frame()
    closed = our_trades[~our_trades["open"]]
    assert len(reference_trades) > 250
    assert len(closed) == len(reference_trades)
    assert list(closed["entry_time"].dt.tz_localize(None)) == list(reference_trades["EntryTime"])
    assert list(closed["exit_time"].dt.tz_localize(None)) == list(reference_trades["ExitTime"])
    np.testing.assert_allclose(closed["entry_price"], reference_trades["EntryPrice"], rtol=1e-12)
    np.testing.assert_allclose(closed["exit_price"], reference_trades["ExitPrice"], rtol=1e-12)
    np.testing.assert_allclose(closed["size"], reference_trades["Size"], rtol=1e-8)


def test_sma_crossover_on_btc_hourly_ends_with_the_same_equity_as_backtesting_py(both_results):
    reference, ours = both_results
    assert ours.metrics.final_equity == pytest.approx(reference["Equity Final [$]"], rel=1e-6)
    reference_curve = reference["_equity_curve"]["Equity"].to_numpy()
    np.testing.assert_allclose(ours.equity.to_numpy(), reference_curve, rtol=1e-6)


def test_sma_crossover_on_btc_hourly_leaves_one_trade_open_like_backtesting_py(both_results):
    reference, ours = both_results
    our_trades = ours.trades_frame()
    assert our_trades["open"].sum() == 1
    assert len(reference["_strategy"].trades) == 1


@pytest.mark.parametrize("database", DATABASES)
def test_omc_backtest_run_after_omc_data_import_matches_backtesting_py(
    database, imported_btc_hourly, reference, cli
):
    result = cli(
        "backtest", "run", "sma_crossover", "--coin", "BTC", "--quote", "USDT",
        "--param", f"fast={FAST}", "--param", f"slow={SLOW}",
        "--fee", str(FEE_RATE), "--cash", str(CASH), "--json",
        env={"OMC_DATABASE_URL": imported_btc_hourly(database)},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bars"]["bars"] == 43_780
    assert report["metrics"]["final_equity"] == pytest.approx(
        reference["Equity Final [$]"], rel=1e-6
    )
    closed = [trade for trade in report["trades"] if not trade["open"]]
    assert len(closed) == len(reference["_trades"])
    assert [trade["entry_time"] for trade in closed] == [
        time.tz_localize("UTC").isoformat() for time in reference["_trades"]["EntryTime"]
    ]
