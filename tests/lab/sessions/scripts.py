"""Scripts of whole sessions for the scripted LLM: what a model would answer at each stage."""

from __future__ import annotations

from tests.lab.sessions.scripted_llm import Turn

GOAL = "find a BTC strategy that uses news sentiment"

PLAN = {
    "about_trading": True,
    "coins": ["BTC"],
    "quote": "USDT",
    "bar_size": "1h",
    "horizon_bars": 4,
    "lookback_days": 365,
    "ledgers": ["exchange", "human"],
    "feature_ideas": ["news sentiment momentum", "short-term returns"],
    "label": "sign of the 4-bar forward return",
    "model_families": ["logistic_regression"],
    "as_of": None,
    "rationale": "sentiment may lead price",
}

FEATURE_CODE = """\
import numpy as np
import pandas as pd

close = df["close"] if "close" in df.columns else df["last"]
features = pd.DataFrame(index=df.index)
features["return_4"] = close / close.shift(4) - 1.0
features["return_24"] = close / close.shift(24) - 1.0
features["volatility_24"] = (close / close.shift(1) - 1.0).rolling(24).std()
for column in human.columns:
    features["human_" + column] = human[column].fillna(0.0)
result = features.replace([np.inf, -np.inf], np.nan)
"""

BROKEN_CODE = "result = df['close'].rolling(24).mean() / undefined_name\n"

FEATURES = {"name": "momentum_sentiment", "code": FEATURE_CODE, "rationale": "returns and news"}
TRAINING = {
    "estimators": [{"estimator": "logistic_regression", "search_space": {"C": [0.1, 1.0]}}],
    "rationale": "a simple, regularised model first",
}
ACCEPT = {"decision": "accept", "reason": "the best candidate is worth keeping as a draft"}


def retrieval_turns() -> list[Turn]:
    return [
        Turn.calls(
            ("get_data_statistics", {"coin_type": "BTC"}),
            ("fetch_sentiment_data", {"start_date": "2023-01-01", "currencies": ["BTC"]}),
        ),
        Turn.call("fetch_price_data", {"coin_type": "BTC", "start_date": "2023-11-01"}),
        Turn(content="BTC/USDT hourly bars from 2021 to 2023; a few news items."),
    ]


def full_session() -> list[Turn]:
    """Planner, retrieval (two tool turns and a summary), analyst, trainer, evaluator."""
    return [
        Turn.json(PLAN),
        *retrieval_turns(),
        Turn.json(FEATURES),
        Turn.json(TRAINING),
        Turn.json(ACCEPT),
    ]
