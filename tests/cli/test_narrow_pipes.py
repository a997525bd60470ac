"""Read commands piped through a narrow width keep every name, id and time whole.

Output here is not a terminal (CliRunner), as in ``omc … | cat``; COLUMNS=40 is narrower than
any of these tables. Each identifier is taken from the command's own ``--json`` output and must
appear, uncut, in its table.
"""

from __future__ import annotations

import json

import pytest

from tests.cli.test_data_ledgers import seed

NARROW = {"COLUMNS": "40"}


@pytest.fixture
def loaded(cli, engine, shared_dir):
    env = {"OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    path = shared_dir / "data" / "bybit_linear_BTCUSDT_60m_2025-05_2025-06.csv.gz"
    result = cli("data", "import", str(path), "--coin", "btc", "--json", env=env)
    assert result.exit_code == 0, result.output
    seed(engine)
    return env


def table_and_json(cli, *args: str, exit_code: int = 0):
    as_json = cli(*args, "--json", env={"COLUMNS": "200"})
    assert as_json.exit_code == exit_code, as_json.output
    table = cli(*args, env=NARROW)
    assert table.exit_code == exit_code, table.output
    assert "…" not in table.stdout, table.stdout
    return table.stdout, json.loads(as_json.stdout)


def assert_whole(text: str, values) -> None:
    missing = [value for value in values if value and str(value) not in text]
    assert missing == [], text


def test_backtest_list_keeps_strategy_and_parameter_names(cli):
    text, strategies = table_and_json(cli, "backtest", "list")
    assert_whole(text, [strategy["name"] for strategy in strategies])
    assert_whole(text, [p["name"] for strategy in strategies for p in strategy["parameters"]])


def test_data_stats_keeps_table_names_and_times(cli, loaded):
    text, stats = table_and_json(cli, "data", "stats")
    assert_whole(text, stats)
    markets = stats["price_data_5min"]["markets"]
    assert_whole(text, [market[key] for market in markets for key in ("first", "last")])
    assert "2025-05-30T17:00:00+00:00" in text


def test_data_prices_news_events_onchain_keep_times_and_names(cli, loaded):
    text, bars = table_and_json(cli, "data", "prices", "BTC", "--since", "2025-06-29T12:00:00")
    assert_whole(text, [bar["timestamp"] for bar in bars])
    text, news = table_and_json(cli, "data", "news")
    assert_whole(text, [row[key] for row in news for key in ("published_at", "source")])
    text, events = table_and_json(cli, "data", "events")
    assert_whole(text, [row[key] for row in events for key in ("published_at", "event_type")])
    text, values = table_and_json(cli, "data", "onchain", "eth")
    assert_whole(text, [row[key] for row in values for key in ("timestamp", "metric_name")])


def test_collect_sources_and_config_keep_names(cli, loaded):
    text, sources = table_and_json(cli, "collect", "sources")
    assert_whole(text, [row["name"] for row in sources])
    text, settings = table_and_json(cli, "config", "show")
    assert_whole(text, [row["name"] for row in settings])
    text, status = table_and_json(cli, "collect", "status", exit_code=69)  # no daemon
    assert_whole(text, [row["name"] for row in status["sources"]])
    text, latest = table_and_json(cli, "data", "latest", "BTC", "--quote", "USDT")
    assert_whole(text, [row["coin_type"] for row in latest])
    assert latest
