"""Feature code: Python source that turns bars (and as-of ledger series) into feature columns.

Feature source is data, not omc's code, so it only ever runs in the sandbox:
:func:`compute_features` is the one place omc runs it, through ``omc.lab.sandbox.run_code``
with ``df`` = the bars and the named inputs ``glass``, ``human`` and ``catalyst`` (frames indexed
like the bars, each value known by the bar's decision time). The code assigns a DataFrame
indexed like the bars to ``result``.

:func:`standard_feature_source` writes the recipe's standard set for a bar size: returns over
several horizons, volatility, RSI, MACD, a volume z-score, and the ledger columns that hold any
data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import numpy as np
import pandas as pd

from omc.lab.errors import FeatureCodeError

LEDGER_INPUTS = ("glass", "human", "catalyst")
HOUR = 3600.0


def feature_sha256(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _bars_for(hours: float, bar_seconds: float) -> int:
    return max(1, round(hours * HOUR / bar_seconds))


def standard_feature_source(bar_seconds: float, ledger_columns: Mapping[str, list[str]]) -> str:
    """The standard feature set as sandbox code, with windows in bars for `bar_seconds`; the
    ledger columns named in `ledger_columns` (input name -> columns) are passed through."""
    lags = sorted({_bars_for(hours, bar_seconds) for hours in (1, 4, 24, 72, 168)})
    day, week = _bars_for(24, bar_seconds), _bars_for(168, bar_seconds)
    lines = [
        '"""omc standard features: returns, volatility, RSI, MACD, volume z-score."""',
        "import numpy as np",
        "import pandas as pd",
        "",
        'close = df["close"] if "close" in df.columns else df["last"]',
        "features = pd.DataFrame(index=df.index)",
        f"for lag in {lags!r}:",
        '    features["return_" + str(lag)] = close / close.shift(lag) - 1.0',
        "returns = close / close.shift(1) - 1.0",
        f'features["volatility_{day}"] = returns.rolling({day}).std()',
        f'features["volatility_{week}"] = returns.rolling({week}).std()',
        f'features["trend_{week}"] = close / close.rolling({week}).mean() - 1.0',
        "change = close.diff()",
        "gain = change.clip(lower=0.0)",
        "loss = (-change).clip(lower=0.0)",
        "average_gain = gain.ewm(alpha=1.0 / 14, adjust=False, min_periods=14).mean()",
        "average_loss = loss.ewm(alpha=1.0 / 14, adjust=False, min_periods=14).mean()",
        'features["rsi_14"] = 100.0 - 100.0 / (1.0 + average_gain / average_loss)',
        "fast = close.ewm(span=12, adjust=False).mean()",
        "slow = close.ewm(span=26, adjust=False).mean()",
        "macd = fast - slow",
        'features["macd"] = macd / close',
        'features["macd_histogram"] = (macd - macd.ewm(span=9, adjust=False).mean()) / close',
        'if "volume" in df.columns:',
        '    volume = df["volume"]',
        f"    average = volume.rolling({week}).mean()",
        f"    spread = volume.rolling({week}).std()",
        '    features["volume_z"] = (volume - average) / spread',
    ]
    for name in LEDGER_INPUTS:
        for column in ledger_columns.get(name, []):
            lines.append(f'features["{column}"] = {name}["{column}"]')
    lines += ["result = features.replace([np.inf, -np.inf], np.nan)", ""]
    return "\n".join(lines)


def run_feature_code(source: str, bars: pd.DataFrame, inputs: Mapping[str, object]) -> object:
    """Run feature `source` in the sandbox: the single route by which omc runs feature code."""
    from omc.lab.sandbox import SandboxError, run_code

    try:
        return run_code(source, bars, **inputs)
    except SandboxError as error:
        raise FeatureCodeError(f"The feature code failed in the sandbox: {error.message}") from None


def empty_ledger_inputs(index: pd.DatetimeIndex) -> dict[str, pd.DataFrame]:
    """The ledger inputs when the ledgers hold nothing: empty frames indexed like the bars."""
    return {name: pd.DataFrame(index=index) for name in LEDGER_INPUTS}


def compute_features(
    source: str, bars: pd.DataFrame, inputs: Mapping[str, pd.DataFrame] | None = None
) -> pd.DataFrame:
    """The feature frame `source` computes: float columns, indexed exactly like `bars`."""
    ledger = dict(inputs) if inputs is not None else empty_ledger_inputs(bars.index)
    result = run_feature_code(source, bars, ledger)
    if isinstance(result, pd.Series):
        result = result.to_frame(name=result.name or "feature")
    if not isinstance(result, pd.DataFrame):
        raise FeatureCodeError(
            f"The feature code must set result to a DataFrame, got {type(result).__name__}."
        )
    if len(result) != len(bars) or not result.index.equals(bars.index):
        raise FeatureCodeError(
            f"The feature code must return one row per bar, indexed like the bars; got "
            f"{len(result)} rows for {len(bars)} bars."
        )
    if result.shape[1] == 0:
        raise FeatureCodeError("The feature code returned no feature columns.")
    columns = [str(column) for column in result.columns]
    if len(set(columns)) != len(columns):
        raise FeatureCodeError("The feature code returned duplicate column names.")
    try:
        values = np.array(result.to_numpy(dtype=np.float64, na_value=np.nan), copy=True)
    except (TypeError, ValueError):
        raise FeatureCodeError("Every feature column must be numeric.") from None
    values[~np.isfinite(values)] = np.nan
    return pd.DataFrame(values, index=bars.index, columns=columns)
