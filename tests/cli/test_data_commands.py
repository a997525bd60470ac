"""`omc collect` and `omc data` through the real CLI, with exact output and exit codes."""

from __future__ import annotations

import json

LATEST = {"status": "ok", "prices": {"btc": {"bid": "100", "ask": "102", "last": "101"}}}


def test_collect_run_json_then_sources_and_latest(cli, engine, httpserver):
    httpserver.expect_request("/pubapi/v2/latest").respond_with_json(LATEST)
    env = {
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_MARKET__COINSPOT_URL": httpserver.url_for("/pubapi/v2"),
        "OMC_MARKET__WATCHLIST": "BTC",
    }
    result = cli("collect", "run", "--source", "coinspot", "--json", env=env)
    assert result.exit_code == 0, result.output
    (run,) = json.loads(result.stdout)
    assert (run["source"], run["status"], run["rows_inserted"]) == ("coinspot", "ok", 1)

    sources = json.loads(cli("collect", "sources", "--json").stdout)
    by_name = {s["name"]: (s["configured"], s["last_status"]) for s in sources}
    assert by_name.pop("coinspot") == (True, "ok")
    assert all(last_status is None for _, last_status in by_name.values()), by_name
    assert len(sources) == len(by_name) + 1  # one row per registered source
    (latest,) = json.loads(cli("data", "latest", "btc", "--json").stdout)
    assert (latest["coin_type"], latest["bid"], latest["ask"], latest["from"]) == (
        "BTC",
        100.0,
        102.0,
        "database",
    )


def test_collect_run_exits_69_when_a_source_fails(cli, engine, httpserver):
    httpserver.expect_request("/pubapi/v2/latest").respond_with_json({"status": "ok"})
    env = {
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_MARKET__COINSPOT_URL": httpserver.url_for("/pubapi/v2"),
        "OMC_MARKET__WATCHLIST": "",
    }
    result = cli("collect", "run", "--source", "coinspot", "--json", env=env)
    assert result.exit_code == 69
    (run,) = json.loads(result.stdout)
    assert (
        run["error"]
        == "coinspot: malformed response at prices: Field required (1 problem(s)); nothing stored"
    )


def test_unknown_source_is_a_usage_error(cli):
    result = cli("collect", "run", "--source", "nope")
    assert result.exit_code == 64
    prefix = "omc: error: unknown source nope; known sources: "
    assert result.stderr.startswith(prefix)
    known = result.stderr.removeprefix(prefix).strip().split(", ")
    assert "coinspot" in known
    assert known == sorted(known)


def test_import_stats_and_prices_csv(cli, engine, shared_dir):
    env = {"OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    path = shared_dir / "data" / "bybit_linear_BTCUSDT_60m_2025-05_2025-06.csv.gz"
    result = cli("data", "import", str(path), "--coin", "btc", "--json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["inserted"] == 720
    stats = json.loads(cli("data", "stats", "--json").stdout)
    assert stats["price_data_5min"]["markets"] == [
        {
            "coin_type": "BTC",
            "quote": "USDT",
            "rows": 720,
            "first": "2025-05-30T17:00:00+00:00",
            "last": "2025-06-29T16:00:00+00:00",
        }
    ]
    csv_out = cli("data", "prices", "BTC", "--since", "2025-06-29T15:00:00", "--csv").stdout
    assert csv_out == (
        "timestamp,coin_type,quote,bid,ask,last\n"
        "2025-06-29T15:00:00+00:00,BTC,USDT,,,107693.5\n"
        "2025-06-29T16:00:00+00:00,BTC,USDT,,,107457.9\n"
    )


def test_bad_inputs_give_one_line_and_non_zero_exit(cli, engine, tmp_path):
    env = {"OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False)}
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n")
    result = cli("data", "import", str(bad), "--coin", "BTC", env=env)
    assert result.exit_code == 65
    assert result.stderr == (
        "omc: error: unrecognised layout in bad.csv: found columns a, b; expected a time column "
        "(unix, open_time, opentime, timestamp, time, date, datetime) and open, high, low, close\n"
    )
    result = cli("data", "import", str(tmp_path / "missing.csv"), "--coin", "BTC")
    assert (result.exit_code, result.stderr) == (
        66,
        f"omc: error: no such file: {tmp_path / 'missing.csv'}\n",
    )
    assert result.stdout == ""  # refused before any progress display
    assert cli("data", "prices", "BTC", "--since", "yesterday").exit_code == 64
    assert cli("data", "import", str(bad), "--coin", "B-T").exit_code == 64
    assert cli("data", "backfill", "BTC", "--days", "2", "--source", "kraken").exit_code == 64
