"""The Glass, Human and Catalyst series as known at each bar's decision time.

Each is a frame indexed like the bars; a value uses only rows whose ``collected_at`` is at or
before the bar's decision time (its close), so features backtest honestly. Counts and means
are over the rows collected in the trailing day (or week) before that time.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd

from omc.ledgers import tools
from omc.strategies.features import align_as_of, decision_times

DAY = pd.Timedelta(days=1)
WEEK = pd.Timedelta(days=7)


def _nanoseconds(values: Any) -> np.ndarray:
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("ns").asi8


def trailing(
    decided: np.ndarray, known_at: np.ndarray, values: np.ndarray, window: pd.Timedelta
) -> tuple[np.ndarray, np.ndarray]:
    """For each decision time, the count and sum of `values` known in (time - window, time]."""
    order = np.argsort(known_at, kind="stable")
    times, ordered = known_at[order], values[order]
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    high = np.searchsorted(times, decided, side="right")
    low = np.searchsorted(times, decided - window.value, side="right")
    return (high - low).astype(np.float64), cumulative[high] - cumulative[low]


def _mean(count: np.ndarray, total: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def _column_name(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def human_series(rows: dict[str, list[dict[str, Any]]], index: pd.DatetimeIndex) -> pd.DataFrame:
    """News and social counts and mean sentiment over the trailing day."""
    frame = pd.DataFrame(index=index)
    decided = decision_times(index).as_unit("ns").asi8
    for kind, label in (("news_sentiment", "news"), ("social_sentiment", "social")):
        items = rows.get(kind, [])
        if not items:
            continue
        known = _nanoseconds([item["collected_at"] for item in items])
        scores = np.array([item.get("sentiment_score") or 0.0 for item in items], dtype=float)
        count, total = trailing(decided, known, scores, DAY)
        frame[f"{label}_count_24h"] = count
        frame[f"{label}_sentiment_24h"] = _mean(count, total)
    return frame


def catalyst_series(rows: list[dict[str, Any]], index: pd.DatetimeIndex) -> pd.DataFrame:
    """Catalyst events known in the trailing day and week, and their summed impact."""
    frame = pd.DataFrame(index=index)
    if not rows:
        return frame
    decided = decision_times(index).as_unit("ns").asi8
    known = _nanoseconds([row["detected_at"] for row in rows])
    impact = np.array([row.get("impact_score") or 0 for row in rows], dtype=float)
    frame["catalyst_count_24h"], _ = trailing(decided, known, np.ones(len(rows)), DAY)
    frame["catalyst_count_7d"], frame["catalyst_impact_7d"] = trailing(decided, known, impact, WEEK)
    return frame


def glass_series(
    metrics: list[dict[str, Any]], flows: list[dict[str, Any]], index: pd.DatetimeIndex
) -> pd.DataFrame:
    """The latest value of each on-chain metric, and the latest smart-money net flow, as known."""
    frame = pd.DataFrame(index=index)
    if metrics:
        table = pd.DataFrame(metrics)
        for name, group in table.groupby("metric_name", sort=True):
            aligned = align_as_of(index, group[["metric_value", "collected_at"]])
            frame[f"onchain_{_column_name(str(name))}"] = aligned["metric_value"].to_numpy()
    if flows:
        table = pd.DataFrame(flows)[["net_flow_usd", "collected_at"]]
        frame["smart_money_net_flow_usd"] = align_as_of(index, table)["net_flow_usd"].to_numpy()
    return frame


def load_ledger_inputs(
    session: Any, coin: str, index: pd.DatetimeIndex, as_of: Any = None
) -> dict[str, pd.DataFrame]:
    """``{"glass": …, "human": …, "catalyst": …}`` for `coin` over the bars' span."""
    if len(index) == 0:
        return {"glass": pd.DataFrame(index=index), "human": pd.DataFrame(index=index),
                "catalyst": pd.DataFrame(index=index)}  # fmt: skip
    start = (index[0] - WEEK).to_pydatetime()
    end = decision_times(index)[-1].to_pydatetime()
    cutoff = end if as_of is None else min(end, pd.Timestamp(as_of).to_pydatetime())
    sentiment = tools.fetch_sentiment_data(session, start, end, currencies=[coin], as_of=cutoff)
    events = tools.fetch_catalyst_events(session, start, end, currencies=[coin], as_of=cutoff)
    metrics = tools.fetch_on_chain_metrics(session, coin, start, end, as_of=cutoff)
    flows = tools.fetch_smart_money_flows(session, coin, start, end, as_of=cutoff)
    return {
        "glass": glass_series(metrics, flows, index),
        "human": human_series(sentiment, index),
        "catalyst": catalyst_series(events, index),
    }


def ledger_columns(inputs: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """The columns of each input that hold any data (what the standard features pass on)."""
    return {
        name: [column for column in frame.columns if frame[column].notna().any()]
        for name, frame in inputs.items()
    }
