"""`omc lab exec`, `omc lab doctor` and the sandbox line of `omc status`, through the real CLI."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest

from tests.lab.sandbox.conftest import make_bars

FEATURES = """
import pandas as pd
mean = df["close"].rolling(12).mean()
result = pd.DataFrame({"close": df["close"], "mean": mean, "above": df["close"] > mean})
"""


@pytest.fixture
def market(engine, database_url, cli):
    """BTC/AUD bars (the last 600 five-minute bars up to now) in a real database."""
    from omc.db import utcnow
    from omc.ledgers.history.store import prepare, write_bars

    bars = make_bars(600)
    end = pd.Timestamp(utcnow()).floor("5min")
    bars.index = pd.date_range(end=end, periods=600, freq="5min", tz="UTC", name="timestamp")
    write_bars(engine, prepare(bars.reset_index(), "BTC", "AUD", "test", 300))

    def invoke(*args: str):
        return cli(*args, env={"OMC_DATABASE_URL": database_url})

    return invoke


def test_exec_json_gives_the_sandboxed_result_on_the_stored_bars(market, tmp_path):
    path = tmp_path / "features.py"
    path.write_text(FEATURES)
    result = market("lab", "exec", str(path), "--coin", "btc", "--since", "7d", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["bars"]["market"] == "BTC/AUD"
    assert report["bars"]["bars"] == 600
    frame = report["result"]
    assert frame["type"] == "DataFrame"
    assert frame["columns"] == ["close", "mean", "above"]
    assert len(frame["data"]) == 600
    closes = [row[0] for row in frame["data"]]
    means = pd.Series(closes).rolling(12).mean()
    assert frame["data"][-1][1] == pytest.approx(means.iloc[-1], rel=1e-12)


def test_exec_prints_a_table_and_csv(market, tmp_path):
    path = tmp_path / "features.py"
    path.write_text(FEATURES + "print('rows', len(result))\n")
    table = market("lab", "exec", str(path), "--coin", "BTC")
    assert table.exit_code == 0, table.output
    assert "600 bars of BTC/AUD" in table.stdout
    assert "result: 600 rows x 3 columns (last 20)" in table.stdout
    assert "rows 600" in table.stderr
    csv = market("lab", "exec", str(path), "--coin", "BTC", "--csv")
    frame = pd.read_csv(io.StringIO(csv.stdout), index_col=0)
    assert list(frame.columns) == ["close", "mean", "above"]
    assert len(frame) == 600


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("import os\nresult = 1", "import of 'os' is not allowed"),
        ("x = 1\nresult = x / 0", "line 2: ZeroDivisionError"),
        ("result = len", "result is a function"),
    ],
)
def test_exec_errors_are_one_line_and_a_nonzero_exit(market, tmp_path, code, words):
    path = tmp_path / "bad.py"
    path.write_text(code)
    result = market("lab", "exec", str(path), "--coin", "BTC")
    assert result.exit_code == 65
    assert words in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_exec_of_a_missing_file_says_so(cli, tmp_path):
    result = cli("lab", "exec", str(tmp_path / "nope.py"), "--coin", "BTC")
    assert result.exit_code == 66
    assert "no such file" in result.stderr


def test_doctor_lists_active_layers_limits_modules_and_passes_its_self_test(cli):
    result = cli("lab", "doctor", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    layers = {layer["name"]: layer["active"] for layer in report["layers"]}
    assert layers["language"]
    assert layers["process"]
    assert report["limits"]["memory"] == "1 GiB"
    assert "numpy" in report["modules"]
    assert "sklearn.preprocessing" in report["modules"]
    failed = [check for check in report["self_test"] if not check["passed"]]
    assert not failed
    assert report["healthy"] is True


def test_status_lists_the_sandbox_layers(cli):
    result = cli("status", "--json")
    lab = json.loads(result.stdout)["lab"]
    assert lab["state"].startswith("sandbox layers: language, process")
    assert {layer["name"] for layer in lab["sandbox_layers"]} >= {"seccomp", "network namespace"}
