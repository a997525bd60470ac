"""Settings sections of the Glass, Human and Catalyst collectors: ``[glass]``, ``[human]`` and
``[catalyst]``.

Every base URL is a setting so tests point sources at loopback servers. Keys and tokens are
settings too (their names contain ``key``, ``token`` or ``secret``, so ``omc config show`` masks
them); a source whose key is empty is reported as not configured and skipped. This module only
imports pydantic: ``omc --help`` builds settings without loading anything heavy.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, field_validator
from pydantic_settings import NoDecode

from omc.settings.sections import SectionModel


def _split(value: Any) -> Any:
    """A list setting from the environment may be ``"a,b c"``."""
    if isinstance(value, str):
        return [part for part in value.replace(",", " ").split() if part]
    return value


StrList = Annotated[list[str], NoDecode]


class GlassSettings(SectionModel):
    """``[glass]``: DeFiLlama, on-chain metrics (mempool.space, Ethereum JSON-RPC), Nansen."""

    defillama_url: str = "https://api.llama.fi"
    # DeFiLlama slugs or names; empty means the top ``defillama_top`` protocols by TVL.
    defillama_protocols: StrList = Field(default_factory=list)
    defillama_top: int = 50
    defillama_seconds: float = 3600.0
    mempool_url: str = "https://mempool.space/api"
    eth_rpc_urls: StrList = Field(
        default_factory=lambda: [
            "https://ethereum-rpc.publicnode.com",
            "https://cloudflare-eth.com",
            "https://eth.llamarpc.com",
        ]
    )
    onchain_seconds: float = 600.0
    nansen_url: str = "https://api.nansen.ai/api/v1"
    nansen_api_key: str | None = None
    nansen_chains: StrList = Field(
        default_factory=lambda: ["ethereum", "solana", "base", "arbitrum"]
    )
    nansen_max_pages: int = 5
    nansen_seconds: float = 3600.0

    @field_validator("defillama_protocols", "eth_rpc_urls", "nansen_chains", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)


DEFAULT_FEEDS = {
    "CoinDesk": "https://www.coindesk.com/arc/outboundfeeds/rss/",
    "Cointelegraph": "https://cointelegraph.com/rss",
    "Decrypt": "https://decrypt.co/feed",
    "CryptoSlate": "https://cryptoslate.com/feed/",
}


class HumanSettings(SectionModel):
    """``[human]``: news feeds, CryptoPanic and Reddit."""

    # Outlet name → feed URL (from the environment as JSON).
    rss_feeds: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_FEEDS))
    rss_seconds: float = 300.0
    cryptopanic_url: str = "https://cryptopanic.com"
    # The posts path depends on the plan: /api/free/v2/posts/, /api/developer/v2/posts/, …
    cryptopanic_path: str = "/api/developer/v2/posts/"
    cryptopanic_token: str | None = None
    cryptopanic_seconds: float = 300.0
    reddit_url: str = "https://www.reddit.com"
    reddit_oauth_url: str = "https://oauth.reddit.com"
    reddit_client_id: str | None = None
    reddit_client_secret: str | None = None
    reddit_username: str = "omc-collector"
    subreddits: StrList = Field(
        default_factory=lambda: ["CryptoCurrency", "Bitcoin", "ethereum", "CryptoMarkets"]
    )
    reddit_limit: int = 100
    reddit_seconds: float = 600.0

    @field_validator("subreddits", mode="before")
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return _split(value)


# Coinbase, Strategy (MicroStrategy), Marathon Digital, Riot Platforms, CleanSpark, Galaxy
# Digital, iShares Bitcoin Trust (IBIT), Grayscale Bitcoin Trust, Fidelity Wise Origin Bitcoin.
DEFAULT_WATCH_CIKS = [
    "0001679788",
    "0001050446",
    "0001507605",
    "0001167419",
    "0000827876",
    "0001859392",
    "0001980994",
    "0001588489",
    "0001852317",
]


class CatalystSettings(SectionModel):
    """``[catalyst]``: SEC EDGAR and exchange listings."""

    edgar_url: str = "https://www.sec.gov"
    edgar_data_url: str = "https://data.sec.gov"
    # SEC fair access: declare who you are. Empty: EDGAR sources are not configured.
    edgar_contact: str | None = None
    edgar_seconds: float = 15.0
    edgar_submissions_seconds: float = 600.0
    edgar_requests_per_second: int = 10
    edgar_feed_count: int = 100
    edgar_watch_ciks: StrList = Field(default_factory=lambda: list(DEFAULT_WATCH_CIKS))
    edgar_submissions_recent: int = 20
    coinspot_listings_seconds: float = 300.0
    binance_url: str = "https://www.binance.com"
    binance_page_size: int = 20
    binance_seconds: float = 60.0
    binance_user_agent: str = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/126.0 Safari/537.36"
    )

    @field_validator("edgar_watch_ciks", mode="before")
    @classmethod
    def _ciks(cls, value: Any) -> Any:
        value = _split(value)
        if isinstance(value, list):
            return [str(cik).strip().zfill(10) for cik in value]
        return value
