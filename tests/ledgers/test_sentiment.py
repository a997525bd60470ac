"""The offline scorer gets obvious headlines the right way round, and coins are detected from
names and tickers without catching ordinary words."""

from __future__ import annotations

import pytest

from omc.ledgers.human.coins import detect_coins
from omc.ledgers.human.sentiment import combine, score_text, vote_score


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Bitcoin surges to record high as ETF inflows soar", "positive"),
        ("Analysts turn bullish on Ethereum after upgrade", "positive"),
        ("Exchange hacked, $40M drained in exploit", "negative"),
        ("Dogecoin plunges as whales dump", "negative"),
        ("Token delisted after fraud charges", "negative"),
        ("Bitcoin trades sideways at 95,000", "neutral"),
        ("", "neutral"),
    ],
)
def test_obvious_headlines_score_the_right_way_round(text, label):
    scored = score_text(text)
    assert scored.label == label
    assert -1.0 <= scored.score <= 1.0
    if label == "positive":
        assert scored.score >= 0.05
    if label == "negative":
        assert scored.score <= -0.05


def test_crypto_terms_change_what_plain_vader_would_say():
    # plain VADER scores "surges" and "plunges" 0; the crypto terms make them count
    assert score_text("BTC surges").score > 0 > score_text("BTC plunges").score


def test_votes_pull_the_score_towards_the_readers():
    text = score_text("Bitcoin trades sideways")
    assert vote_score(20, 0) == 1.0
    assert vote_score(0, 0) is None
    assert combine(text, vote_score(20, 0)).label == "positive"
    assert combine(text, None) == text


@pytest.mark.parametrize(
    ("text", "coins"),
    [
        ("Bitcoin and Ether rally", ["BTC", "ETH"]),
        ("BTC dominance rises while SOL lags", ["BTC", "SOL"]),
        ("Why $PEPE and $OP are moving", ["OP", "PEPE"]),
        ("ONE thing the US ETF market gets wrong", []),
        ("solana's new client ships", ["SOL"]),
        ("sol y sombra", []),
    ],
)
def test_coins_are_detected_from_names_and_tickers(text, coins):
    assert detect_coins(text) == coins


def test_watchlist_tickers_are_known():
    assert detect_coins("RFOX lists on CoinSpot", ["RFOX"]) == ["RFOX"]
