"""Real price history from ../shared/data, read in place (never copied into the repository)."""

from pathlib import Path

import pandas as pd
import pytest

SHARED_DATA = Path("/work/shared/data")
BTC_HOURLY = SHARED_DATA / "binance_BTCUSDT_1h_2020-10_2025-10.csv.gz"


def read_binance_csv(path: Path) -> pd.DataFrame:
    """Bars indexed by UTC open time with open/high/low/close/volume columns."""
    bars = pd.read_csv(path, parse_dates=["open_time"], index_col="open_time")
    bars.index = bars.index.tz_localize("UTC")
    return bars


@pytest.fixture(scope="session")
def btc_hourly() -> pd.DataFrame:
    """43,780 hourly Binance BTC/USDT bars, 2020-10 to 2025-10."""
    if not BTC_HOURLY.exists():
        pytest.skip(f"shared price history not found at {BTC_HOURLY}")
    return read_binance_csv(BTC_HOURLY)
