"""The real BTC hourly history imported through `omc data import`, shared with the backtest
tests (one import per dialect per run)."""

from tests.backtest.conftest import imported_btc_hourly  # noqa: F401
