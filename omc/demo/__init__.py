"""The demo: on a fresh OMC_HOME and offline, a year of real BTC/USDT hourly prices packaged
with omc (see SOURCES.md beside this file) goes through `omc data import`, `omc lab recipe`,
`omc algo report` and `omc backtest run algo:…` beside buy-and-hold."""

from pathlib import Path

PRICE_FILE = Path(__file__).with_name("BTCUSDT_1h_2024-10_2025-10.csv.gz")
