"""Offline sentiment of a headline or post: VADER's lexicon, extended with crypto terms.

VADER (``vaderSentiment``) ships its lexicon inside the package, so scoring needs no download
and no network. Its general-English lexicon misses market words ("surges", "bullish", "hacked",
"delisted" score nothing or the wrong way), so :data:`CRYPTO_TERMS` adds them with valences on
VADER's -4..4 scale. The label follows VADER's own thresholds on the compound score: ≥ 0.05 is
positive, ≤ -0.05 negative, between them neutral.
"""

from __future__ import annotations

import functools
import html
import re
from dataclasses import dataclass
from typing import Any

POSITIVE_AT = 0.05
NEGATIVE_AT = -0.05

CRYPTO_TERMS: dict[str, float] = {
    "bullish": 2.5,
    "bull": 1.5,
    "bearish": -2.5,
    "bear": -1.5,
    "surge": 2.2,
    "surges": 2.2,
    "surged": 2.2,
    "surging": 2.2,
    "soar": 2.4,
    "soars": 2.4,
    "soared": 2.4,
    "rally": 2.0,
    "rallies": 2.0,
    "rallied": 2.0,
    "jumps": 1.6,
    "climbs": 1.4,
    "gains": 1.5,
    "breakout": 1.8,
    "moon": 2.0,
    "mooning": 2.2,
    "ath": 2.0,
    "record": 1.0,
    "hodl": 1.0,
    "adoption": 1.6,
    "approves": 2.0,
    "approved": 2.0,
    "approval": 1.8,
    "inflows": 1.5,
    "accumulating": 1.2,
    "listing": 1.2,
    "lists": 1.0,
    "partnership": 1.5,
    "upgrade": 1.2,
    "plunge": -2.8,
    "plunges": -2.8,
    "plunged": -2.8,
    "crash": -3.0,
    "crashes": -3.0,
    "crashed": -3.0,
    "slump": -2.2,
    "slumps": -2.2,
    "tumbles": -2.3,
    "sinks": -2.0,
    "drops": -1.5,
    "dump": -2.0,
    "dumps": -2.0,
    "selloff": -2.4,
    "sell-off": -2.4,
    "liquidated": -2.2,
    "liquidations": -1.8,
    "outflows": -1.5,
    "hack": -3.0,
    "hacked": -3.2,
    "exploit": -2.8,
    "exploited": -3.0,
    "drained": -2.8,
    "rug": -2.8,
    "rugpull": -3.2,
    "scam": -3.0,
    "fraud": -3.2,
    "ponzi": -3.0,
    "delist": -2.6,
    "delists": -2.6,
    "delisted": -2.6,
    "delisting": -2.6,
    "insolvent": -3.0,
    "bankruptcy": -3.0,
    "lawsuit": -2.0,
    "sues": -2.0,
    "sued": -2.0,
    "charges": -1.8,
    "crackdown": -2.2,
    "ban": -2.4,
    "bans": -2.4,
    "banned": -2.4,
    "fud": -1.6,
    "rekt": -2.5,
}

TAG = re.compile(r"<[^>]+>")
SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Sentiment:
    """A label (positive / negative / neutral) and a score in [-1, 1]."""

    label: str
    score: float


@functools.lru_cache(maxsize=1)
def _analyzer() -> Any:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    analyzer.lexicon.update(CRYPTO_TERMS)
    return analyzer


def plain_text(value: str | None) -> str:
    """HTML (feed summaries, Reddit bodies) as one line of plain text."""
    if not value:
        return ""
    return SPACE.sub(" ", html.unescape(TAG.sub(" ", value))).strip()


def label_for(score: float) -> str:
    if score >= POSITIVE_AT:
        return "positive"
    if score <= NEGATIVE_AT:
        return "negative"
    return "neutral"


def score_text(text: str) -> Sentiment:
    """The sentiment of ``text``; empty text is neutral 0."""
    text = plain_text(text)
    if not text:
        return Sentiment("neutral", 0.0)
    compound = float(_analyzer().polarity_scores(text)["compound"])
    return Sentiment(label_for(compound), round(compound, 4))


def vote_score(positive: int, negative: int) -> float | None:
    """Readers' votes as a score in [-1, 1]; None when nobody voted either way."""
    total = positive + negative
    return None if total <= 0 else (positive - negative) / total


def combine(text: Sentiment, votes: float | None) -> Sentiment:
    """The text score averaged with the vote score, when there are votes."""
    if votes is None:
        return text
    score = round(max(-1.0, min(1.0, (text.score + votes) / 2)), 4)
    return Sentiment(label_for(score), score)
