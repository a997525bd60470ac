"""The sandbox's cost, beside plain in-process ``exec`` of the same code, in one run.

1. Overhead of one call with trivial code on a 100,000-row frame (target: p50 at most 30 ms
   with the fork server).
2. A realistic feature script on 100,000 bars (target: at most 1.5x in-process).

    .venv/bin/python benchmarks/bench_sandbox.py [--rows 100000] [--calls 40] [--json]

Sandboxed and in-process calls alternate, so both see the same load; on a shared 2-core
machine absolute figures still drift with the other work on it: repeat before drawing
conclusions (the load average is printed).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np
import pandas as pd

TRIVIAL = "result = len(df)"

FEATURES = """
import numpy as np
import pandas as pd
from omc.strategies.indicators import relative_strength_index

close = df["close"]
features = pd.DataFrame(index=df.index)
features["return_1"] = close.pct_change()
features["return_12"] = close.pct_change(12)
for window in (12, 48, 288):
    mean = close.rolling(window).mean()
    std = close.rolling(window).std()
    features[f"z_{window}"] = (close - mean) / std
features["ema_fast"] = close.ewm(span=12, adjust=False).mean()
features["ema_slow"] = close.ewm(span=48, adjust=False).mean()
features["macd"] = features["ema_fast"] - features["ema_slow"]
features["rsi_14"] = relative_strength_index(close.to_numpy(), 14)
features["range"] = (df["high"] - df["low"]) / close
features["volume_z"] = (df["volume"] - df["volume"].rolling(288).mean()) / df["volume"].rolling(
    288
).std()
features["hour"] = df.index.hour
features["hour_mean_return"] = features.groupby("hour")["return_1"].transform("mean")
result = features
"""


def bars(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.002, rows)))
    index = pd.date_range("2020-01-01", periods=rows, freq="5min", tz="UTC", name="timestamp")
    return pd.DataFrame(
        {
            "open": close * (1 + rng.normal(0.0, 0.0005, rows)),
            "high": close * 1.001,
            "low": close * 0.999,
            "close": close,
            "volume": rng.uniform(1.0, 10.0, rows),
        },
        index=index,
    )


def in_process(code: str, frame: pd.DataFrame) -> object:
    namespace = {"df": frame}
    exec(compile(code, "<bench>", "exec"), namespace)  # noqa: S102 - the baseline
    return namespace["result"]


def timed_pair(first, second, calls: int) -> tuple[list[float], list[float]]:
    """Both functions, call for call in turn, so the two see the same load on a shared box."""
    times: tuple[list[float], list[float]] = ([], [])
    for _ in range(calls):
        for function, seconds in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            function()
            seconds.append(time.perf_counter() - started)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--feature-calls", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()

    from omc.lab.sandbox import run_code
    from omc.lab.sandbox.runner import default_sandbox

    frame = bars(options.rows)
    started = time.perf_counter()
    layers = default_sandbox().layers()
    startup = time.perf_counter() - started
    run_code(TRIVIAL, frame)  # first call: pages of the fork server touched once
    pd.testing.assert_frame_equal(in_process(FEATURES, frame), run_code(FEATURES, frame))

    trivial_sandbox, trivial_local = timed_pair(
        lambda: run_code(TRIVIAL, frame), lambda: in_process(TRIVIAL, frame), options.calls
    )
    features_sandbox, features_local = timed_pair(
        lambda: run_code(FEATURES, frame),
        lambda: in_process(FEATURES, frame),
        options.feature_calls,
    )

    report = {
        "load_average_1m": round(os.getloadavg()[0], 2),
        "rows": options.rows,
        "fork_server_start_s": round(startup, 3),
        "layers": {
            "network_namespace": layers.get("network_namespace"),
            "seccomp": layers.get("seccomp"),
            "user": layers.get("user_note"),
        },
        "trivial": {
            "sandbox_p50_ms": round(statistics.median(trivial_sandbox) * 1000, 2),
            "sandbox_p95_ms": round(percentile(trivial_sandbox, 0.95) * 1000, 2),
            "in_process_p50_ms": round(statistics.median(trivial_local) * 1000, 3),
            "target_p50_ms": 30,
        },
        "features": {
            "sandbox_p50_ms": round(statistics.median(features_sandbox) * 1000, 1),
            "in_process_p50_ms": round(statistics.median(features_local) * 1000, 1),
            "ratio": round(
                statistics.median(features_sandbox) / statistics.median(features_local), 2
            ),
            "target_ratio": 1.5,
        },
    }
    if options.json:
        print(json.dumps(report, indent=2))
        return
    trivial, features = report["trivial"], report["features"]
    print(
        f"load average {report['load_average_1m']}; fork server start "
        f"{report['fork_server_start_s']} s; layers: {report['layers']}"
    )
    print(
        f"trivial code on {options.rows:,} rows: sandbox p50 {trivial['sandbox_p50_ms']} ms, "
        f"p95 {trivial['sandbox_p95_ms']} ms; in-process p50 {trivial['in_process_p50_ms']} ms "
        f"(target p50 <= 30 ms)"
    )
    print(
        f"feature script on {options.rows:,} bars: sandbox p50 {features['sandbox_p50_ms']} ms, "
        f"in-process p50 {features['in_process_p50_ms']} ms, ratio {features['ratio']} "
        f"(target <= 1.5)"
    )


if __name__ == "__main__":
    main()
