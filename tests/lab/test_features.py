"""Feature code runs in the sandbox: the standard set matches the same code run in-process,
sandbox failures come back as one clear line, ledger series are as of each bar's close."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from omc.lab.errors import FeatureCodeError
from omc.lab.features import compute_features, empty_ledger_inputs, standard_feature_source
from omc.lab.ledger_inputs import catalyst_series, human_series, ledger_columns


@pytest.fixture(scope="module")
def bars(shared_dir):
    frame = pd.read_csv(shared_dir / "data" / "binance_vision_BTCUSDT-1h-2022-01.csv.gz")
    index = pd.DatetimeIndex(pd.to_datetime(frame["Opentime"], unit="ms", utc=True))
    columns = {"Open": "open", "High": "high", "Low": "low", "Close": "close", "Volume": "volume"}
    return frame[list(columns)].rename(columns=columns).set_index(index)


def test_the_standard_features_in_the_sandbox_equal_the_same_code_in_process(bars):
    source = standard_feature_source(3600.0, {})
    inputs = empty_ledger_inputs(bars.index)
    sandboxed = compute_features(source, bars, inputs)
    scope = {"df": bars, **inputs}
    exec(compile(source, "<features>", "exec"), scope)  # noqa: S102  (omc's own source, a test)
    expected = scope["result"]
    assert list(sandboxed.columns) == list(expected.columns)
    assert np.array_equal(sandboxed.to_numpy(), expected.to_numpy(), equal_nan=True)
    assert {"return_24", "volatility_168", "rsi_14", "macd", "volume_z"} <= set(sandboxed)


def test_code_that_fails_in_the_sandbox_gives_the_sandboxs_message(bars):
    with pytest.raises(FeatureCodeError, match=r"failed in the sandbox: .*NameError"):
        compute_features("result = undefined_name + 1\n", bars)
    with pytest.raises(FeatureCodeError, match="failed in the sandbox"):
        compute_features("import os\nresult = df\n", bars)


def test_results_that_are_not_features_are_refused(bars):
    with pytest.raises(FeatureCodeError, match="must set result to a DataFrame, got int"):
        compute_features("result = 3\n", bars)
    with pytest.raises(FeatureCodeError, match="one row per bar"):
        compute_features("result = df.iloc[:10]\n", bars)
    with pytest.raises(FeatureCodeError, match="must be numeric"):
        compute_features('result = df.assign(word="up")\n', bars)


def test_ledger_series_count_only_rows_collected_by_each_bars_close():
    index = pd.date_range("2024-01-01", periods=4, freq="h", tz="UTC")
    news = [
        {"collected_at": "2024-01-01T00:30:00+00:00", "sentiment_score": 0.5},
        {"collected_at": "2024-01-01T02:00:00+00:00", "sentiment_score": -1.0},
    ]
    human = human_series({"news_sentiment": news}, index)
    # Bar 0 closes at 01:00 (sees the first row), bar 1 at 02:00 (both), bars 2-3 both.
    assert human["news_count_24h"].tolist() == [1.0, 2.0, 2.0, 2.0]
    assert human["news_sentiment_24h"].tolist() == [0.5, -0.25, -0.25, -0.25]
    events = [{"detected_at": "2024-01-01T03:30:00+00:00", "impact_score": 7}]
    catalyst = catalyst_series(events, index)
    assert catalyst["catalyst_count_24h"].tolist() == [0.0, 0.0, 0.0, 1.0]
    assert catalyst["catalyst_impact_7d"].tolist() == [0.0, 0.0, 0.0, 7.0]
    assert ledger_columns({"human": human, "glass": pd.DataFrame(index=index)}) == {
        "human": ["news_count_24h", "news_sentiment_24h"],
        "glass": [],
    }


def test_the_standard_source_passes_ledger_columns_through(bars):
    index = bars.index
    inputs = empty_ledger_inputs(index)
    inputs["human"] = pd.DataFrame({"news_count_24h": np.arange(len(index), dtype=float)}, index)
    source = standard_feature_source(3600.0, {"human": ["news_count_24h"]})
    features = compute_features(source, bars, inputs)
    assert features["news_count_24h"].tolist() == list(range(len(index)))
