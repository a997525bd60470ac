"""Which coins a headline or post mentions: names (``Bitcoin`` → BTC) and tickers (``ETH``,
``$SOL``).

Names match whole words in any case. Tickers match only as upper-case words or ``$`` cashtags,
because many tickers are also English words ("ONE", "LINK", "SOL" in Spanish text, "OP"); and
tickers of one or two letters or common words need the ``$`` form. The watch list's coins are
always known tickers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

NAMES: dict[str, str] = {
    "bitcoin": "BTC",
    "ethereum": "ETH",
    "ether": "ETH",
    "solana": "SOL",
    "ripple": "XRP",
    "cardano": "ADA",
    "dogecoin": "DOGE",
    "litecoin": "LTC",
    "polkadot": "DOT",
    "chainlink": "LINK",
    "avalanche": "AVAX",
    "polygon": "POL",
    "tron": "TRX",
    "toncoin": "TON",
    "shiba inu": "SHIB",
    "stellar": "XLM",
    "monero": "XMR",
    "uniswap": "UNI",
    "aave": "AAVE",
    "arbitrum": "ARB",
    "optimism": "OP",
    "cosmos": "ATOM",
    "near protocol": "NEAR",
    "aptos": "APT",
    "sui": "SUI",
    "pepe": "PEPE",
    "tether": "USDT",
    "usd coin": "USDC",
    "binance coin": "BNB",
    "bnb": "BNB",
    "hyperliquid": "HYPE",
}
TICKERS = {
    "BTC", "ETH", "SOL", "XRP", "ADA", "DOGE", "LTC", "DOT", "LINK", "AVAX", "POL", "MATIC",
    "TRX", "TON", "SHIB", "XLM", "XMR", "UNI", "AAVE", "ARB", "ATOM", "NEAR", "APT", "SUI",
    "PEPE", "USDT", "USDC", "BNB", "BCH", "ETC", "FIL", "HBAR", "ICP", "INJ", "LDO", "MKR",
    "RNDR", "SEI", "TIA", "WIF", "BONK", "HYPE", "ENA", "ONDO", "JUP", "PYTH", "STX", "XTZ",
}  # fmt: skip
# Tickers that are also ordinary upper-case words in headlines: only the $ form counts.
AMBIGUOUS = {"ONE", "OP", "GAS", "ANT", "MAGIC", "ID", "AI", "SUN", "GT", "ARK", "ETF", "US"}

_NAME_PATTERN = re.compile(
    r"\b(" + "|".join(sorted(map(re.escape, NAMES), key=len, reverse=True)) + r")\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"(\$?)\b([A-Z][A-Z0-9]{1,9})\b")


def detect_coins(text: str, extra_tickers: Iterable[str] = ()) -> list[str]:
    """The coins ``text`` mentions, sorted; ``extra_tickers`` adds known symbols (watch list)."""
    if not text:
        return []
    known = TICKERS | {ticker.upper() for ticker in extra_tickers}
    found = {NAMES[match.group(1).lower()] for match in _NAME_PATTERN.finditer(text)}
    for dollar, word in _WORD.findall(text):
        if dollar or (word in known and word not in AMBIGUOUS and len(word) > 2):
            found.add(word)
    return sorted(found)


def merge_codes(*groups: Iterable[str]) -> list[str]:
    """Union of coin codes, upper-case, sorted."""
    return sorted({code.strip().upper() for group in groups for code in group if code.strip()})
