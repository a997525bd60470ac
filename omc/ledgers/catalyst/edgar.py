"""What SEC EDGAR filings matter to crypto, and how much: relevance and ``impact_score``.

Both EDGAR sources (the current-filings feed and the watch list's submissions) store events as
``source="sec_edgar"`` with the accession number as ``external_id``, so a filing seen by both,
or repeated in the feed once per party (Filer, Issuer, Reporting), is stored once.

A filing is crypto-relevant when its filer's CIK is on ``catalyst.edgar_watch_ciks`` or its
company name matches :data:`CRYPTO_WORDS` (names only: "mining" alone would catch gold miners).

``impact_score`` (0-10) by form type, the base form without ``/A`` (an amendment scores one
less):

======================================  =====  ==========================================
Form                                    Score  Why
======================================  =====  ==========================================
S-1, F-1, S-3, N-2 (registrations)        8    new products: spot ETFs, listings, offerings
19b-4-related 8-K, 8-K, 6-K               7    material events (8-K), foreign issuers (6-K)
SC 13D                                    6    an activist stake of more than 5 %
424B1..424B8 (prospectuses)               5    shares being sold now (ATMs, ETF creations)
10-K, 20-F, 40-F                          5    annual reports (holdings, risk factors)
10-Q, SC 13G                              4    quarterly reports, passive 5 % stakes
4 (insider transaction)                   3    officers and directors buying or selling
DEF 14A, 3, 5, 144                        2    proxies, insider holdings, planned sales
anything else                             1
======================================  =====  ==========================================
"""

from __future__ import annotations

import re
from collections.abc import Iterable

SOURCE = "sec_edgar"
EVENT_TYPE = "sec_filing"
CRYPTO_WORDS = re.compile(
    r"\b(bitcoin|btc|crypto\w*|blockchain|digital assets?|ethereum|ether|solana|xrp|"
    r"stablecoins?|coinbase|microstrategy|strategy inc|hashrate|bitmine|"
    r"grayscale|galaxy digital|riot platforms|marathon digital|cleanspark|hut 8|bitfarms)\b",
    re.IGNORECASE,
)
IMPACT = {
    "S-1": 8,
    "F-1": 8,
    "S-3": 8,
    "N-2": 8,
    "8-K": 7,
    "6-K": 7,
    "SC 13D": 6,
    "10-K": 5,
    "20-F": 5,
    "40-F": 5,
    "10-Q": 4,
    "SC 13G": 4,
    "4": 3,
    "DEF 14A": 2,
    "3": 2,
    "5": 2,
    "144": 2,
}
PROSPECTUS = re.compile(r"^424B\d$")
COIN_BY_WORD = {"bitcoin": "BTC", "btc": "BTC", "ether": "ETH", "ethereum": "ETH", "solana": "SOL"}


def impact_score(form: str) -> int:
    """The impact of a form type (see the table above)."""
    form = form.strip().upper()
    amended = form.endswith("/A")
    base = form[:-2] if amended else form
    score = 5 if PROSPECTUS.match(base) else IMPACT.get(base, 1)
    return max(score - 1, 1) if amended else score


def normal_cik(cik: str | int) -> str:
    return str(cik).strip().zfill(10)


def is_relevant(cik: str | int, company: str, watch: Iterable[str]) -> bool:
    """Watch-list CIK, or a crypto word in the company name."""
    return normal_cik(cik) in {normal_cik(c) for c in watch} or bool(CRYPTO_WORDS.search(company))


def coins_named(company: str) -> list[str]:
    """Coins a filer's name states (``iShares Bitcoin Trust`` → BTC)."""
    words = {word.lower() for word in re.findall(r"\w+", company)}
    return sorted({COIN_BY_WORD[word] for word in words if word in COIN_BY_WORD})


def user_agent(contact: str) -> str:
    """SEC fair access: a declared agent with a contact address."""
    return f"omc collector {contact}"


def filing_url(cik: str | int, accession: str, document: str | None = None) -> str:
    folder = f"https://www.sec.gov/Archives/edgar/data/{int(cik)}/{accession.replace('-', '')}"
    return f"{folder}/{document}" if document else f"{folder}/{accession}-index.htm"
