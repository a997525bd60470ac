"""How each Glass, Human and Catalyst source is served by a loopback server in tests: its
settings, the good answers, the endpoint faults are injected at, and its empty answers.

The fault tests (``test_source_faults.py``) run every spec through the same cases.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.ledgers.responses import catalyst, glass, human

SEC_CONTACT = "omc tests tests@example.com"


@dataclass
class Spec:
    name: str
    source: Callable[[], Any]
    settings: Callable[[Any], dict[str, Any]]  # httpserver → settings sections
    serve: Callable[[Any], None]  # the good answers (permanent handlers)
    primary: str  # the path faults are injected at
    tables: Callable[[], list[Any]]
    empty: Callable[[Any], None]
    changed: Any  # a body whose field changed type or name
    timeout_settings: Callable[[str], dict[str, Any]]
    method: str = "GET"


def _json(server, path, body, method="GET"):
    server.expect_request(path, method=method).respond_with_json(body)


def reddit_listing(shared: Path) -> tuple[dict, dict]:
    """The praw cassette's token answer and ``r/askreddit/new`` listing (recorded, 2016)."""
    cassette = json.loads(
        (shared / "fixtures/reddit/praw_cassette_oauth_r_askreddit_new_2016-03-01.json").read_text()
    )
    bodies = [json.loads(i["response"]["body"]["string"]) for i in cassette["interactions"]]
    return bodies[0], bodies[1]


def sec_submissions(shared: Path) -> dict:
    """The recorded submissions JSON of Murphy Oil (CIK 0000717423)."""
    path = shared / "fixtures/sec_edgar/submissions_CIK0000717423_murphy-oil.json"
    return json.loads(path.read_text())


def _defillama():
    from omc.ledgers.glass.defillama import DefiLlama

    return DefiLlama()


def _onchain():
    from omc.ledgers.glass.onchain import OnChainMetrics

    return OnChainMetrics()


def _nansen():
    from omc.ledgers.glass.nansen import NansenSmartMoney

    return NansenSmartMoney()


def _rss():
    from omc.ledgers.human.rss import NewsFeeds

    return NewsFeeds()


def _cryptopanic():
    from omc.ledgers.human.cryptopanic import CryptoPanic

    return CryptoPanic()


def _sec_feed():
    from omc.ledgers.catalyst.sec_feed import SecCurrentFilings

    return SecCurrentFilings()


def _binance():
    from omc.ledgers.catalyst.binance_listings import BinanceListings

    return BinanceListings()


def _tables(*names: str) -> Callable[[], list[Any]]:
    def load() -> list[Any]:
        from omc.ledgers import (
            CatalystEvent,
            NewsSentiment,
            OnChainMetric,
            ProtocolFundamental,
            SmartMoneyFlow,
        )

        known = {
            "catalyst": CatalystEvent,
            "news": NewsSentiment,
            "onchain": OnChainMetric,
            "protocols": ProtocolFundamental,
            "smart_money": SmartMoneyFlow,
        }
        return [known[name].__table__ for name in names]

    return load


def serve_defillama(server, protocols=None, chains=None):
    _json(server, "/llama/protocols", glass.PROTOCOLS if protocols is None else protocols)
    server.expect_request("/llama/overview/fees", query_string={
        "excludeTotalDataChart": "true", "excludeTotalDataChartBreakdown": "true",
        "dataType": "dailyRevenue"}).respond_with_json(glass.REVENUE)  # fmt: skip
    _json(server, "/llama/overview/fees", glass.FEES)
    _json(server, "/llama/v2/chains", glass.CHAINS if chains is None else chains)


def serve_onchain(server, rpc_paths=("/rpc1",)):
    _json(server, "/mempool/api/v1/mining/hashrate/3d", glass.HASHRATE)
    _json(server, "/mempool/api/mempool", glass.MEMPOOL)
    _json(server, "/mempool/api/v1/fees/recommended", glass.FEES_RECOMMENDED)
    server.expect_request("/mempool/api/blocks/tip/height").respond_with_data(glass.TIP_HEIGHT)
    for path in rpc_paths:
        for body in (glass.GAS_PRICE, glass.BLOCK_NUMBER):
            method = (body["id"] == 1 and "eth_gasPrice") or "eth_blockNumber"
            server.expect_request(
                path, method="POST", json={"jsonrpc": "2.0", "method": method,
                                                  "params": [], "id": body["id"]}
            ).respond_with_json(body)  # fmt: skip


def serve_nansen(server):
    server.expect_oneshot_request("/nansen/smart-money/netflow", method="POST").respond_with_json(
        glass.NETFLOW_PAGE_1
    )
    server.expect_oneshot_request("/nansen/smart-money/netflow", method="POST").respond_with_json(
        glass.NETFLOW_PAGE_2
    )


def serve_rss(server, coindesk=human.COINDESK):
    server.expect_request("/feeds/coindesk").respond_with_data(
        coindesk, content_type="application/rss+xml"
    )
    server.expect_request("/feeds/cointelegraph").respond_with_data(
        human.COINTELEGRAPH, content_type="application/rss+xml"
    )


def rss_settings(server):
    return {
        "human": {
            "rss_feeds": {
                "CoinDesk": server.url_for("/feeds/coindesk"),
                "Cointelegraph": server.url_for("/feeds/cointelegraph"),
            }
        }
    }


def serve_sec_feed(server, entries=None):
    body = catalyst.edgar_feed(
        *(entries if entries is not None else catalyst.COINBASE_8K + catalyst.INSIDER_4)
    )
    server.expect_request("/sec/cgi-bin/browse-edgar").respond_with_data(
        body, content_type="application/atom+xml"
    )


SPECS = [
    Spec(
        name="defillama",
        source=_defillama,
        settings=lambda s: {"glass": {"defillama_url": s.url_for("/llama")}},
        serve=serve_defillama,
        primary="/llama/protocols",
        tables=_tables("protocols", "onchain"),
        empty=lambda s: serve_defillama(s, protocols=[], chains=[]),
        changed=[{"id": "1", "protocolName": "Aave", "tvl": 1.0}],
        timeout_settings=lambda url: {"glass": {"defillama_url": url}},
    ),
    Spec(
        name="onchain",
        source=_onchain,
        settings=lambda s: {
            "glass": {
                "mempool_url": s.url_for("/mempool/api"),
                "eth_rpc_urls": [s.url_for("/rpc1")],
            }
        },
        serve=serve_onchain,
        primary="/mempool/api/mempool",
        tables=_tables("onchain"),
        empty=None,  # a network always has figures: there is no empty answer
        changed={"count": 1, "vsize": "big", "total_fee": 1},
        timeout_settings=lambda url: {"glass": {"mempool_url": url}},
    ),
    Spec(
        name="nansen",
        source=_nansen,
        settings=lambda s: {
            "glass": {"nansen_url": s.url_for("/nansen"), "nansen_api_key": "nk-SECRET-123"}
        },
        serve=serve_nansen,
        primary="/nansen/smart-money/netflow",
        method="POST",
        tables=_tables("smart_money"),
        empty=lambda s: _json(
            s,
            "/nansen/smart-money/netflow",
            {"data": [], "pagination": {"page": 1, "per_page": 100, "is_last_page": True}},
            "POST",
        ),
        changed={
            "data": [{"token_symbol": "X", "netflow_24h": 1, "chain": "ethereum"}],
            "pagination": {"page": 1, "per_page": 100, "is_last_page": True},
        },
        timeout_settings=lambda url: {"glass": {"nansen_url": url, "nansen_api_key": "k"}},
    ),
    Spec(
        name="rss",
        source=_rss,
        settings=lambda s: {"human": {"rss_feeds": {"CoinDesk": s.url_for("/feeds/coindesk")}}},
        serve=lambda s: serve_rss(s),
        primary="/feeds/coindesk",
        tables=_tables("news"),
        empty=lambda s: s.expect_request("/feeds/coindesk").respond_with_data(human.EMPTY_FEED),
        changed=b"<html><body>Service temporarily unavailable<p></body>",
        timeout_settings=lambda url: {"human": {"rss_feeds": {"CoinDesk": url}}},
    ),
    Spec(
        name="cryptopanic",
        source=_cryptopanic,
        settings=lambda s: {
            "human": {
                "cryptopanic_url": s.url_for("/cp"),
                "cryptopanic_token": "cp-SECRET-456",
            }
        },
        serve=lambda s: _json(s, "/cp/api/developer/v2/posts/", human.CRYPTOPANIC),
        primary="/cp/api/developer/v2/posts/",
        tables=_tables("news"),
        empty=lambda s: _json(
            s, "/cp/api/developer/v2/posts/", {"count": 0, "next": None, "results": []}
        ),
        changed={"results": [{"id": 1, "title": "x", "published_at": "not-a-date"}]},
        timeout_settings=lambda url: {
            "human": {"cryptopanic_url": url, "cryptopanic_token": "cp-SECRET-456"}
        },
    ),
    Spec(
        name="sec_edgar_feed",
        source=_sec_feed,
        settings=lambda s: {
            "catalyst": {"edgar_url": s.url_for("/sec"), "edgar_contact": SEC_CONTACT}
        },
        serve=serve_sec_feed,
        primary="/sec/cgi-bin/browse-edgar",
        tables=_tables("catalyst"),
        empty=lambda s: serve_sec_feed(s, entries=[]),
        changed=catalyst.edgar_feed(
            "<entry><title>Something else entirely</title><id>urn:x</id></entry>"
        ),
        timeout_settings=lambda url: {"catalyst": {"edgar_url": url, "edgar_contact": SEC_CONTACT}},
    ),
    Spec(
        name="binance_listings",
        source=_binance,
        settings=lambda s: {"catalyst": {"binance_url": s.url_for("/bn")}},
        serve=lambda s: _json(
            s, "/bn/bapi/composite/v1/public/cms/article/list/query", catalyst.BINANCE_ARTICLES
        ),
        primary="/bn/bapi/composite/v1/public/cms/article/list/query",
        tables=_tables("catalyst"),
        empty=lambda s: _json(
            s,
            "/bn/bapi/composite/v1/public/cms/article/list/query",
            {"code": "000000", "data": {"articles": []}},
        ),
        changed={"code": "000000", "data": {"articles": [{"articleId": 1, "headline": "x"}]}},
        timeout_settings=lambda url: {"catalyst": {"binance_url": url}},
    ),
]
