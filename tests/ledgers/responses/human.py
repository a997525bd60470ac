"""Human ledger responses, written to the documented shapes (no public recording was saved).

- RSS 2.0 (RSS Advisory Board specification) as CoinDesk and Cointelegraph publish it, per the
  research note §4: CoinDesk items have CDATA titles, ``<guid isPermaLink="false">`` UUIDs,
  RFC-822 ``pubDate`` in ``+0000`` and may have an empty ``<description/>``; Cointelegraph links
  carry ``utm_*`` parameters and the items have no guid here.
- CryptoPanic posts API (v1 response documented in the roccomuso/cryptopanic README; v2 adds
  ``instruments`` and ``description``): {count, next, previous, results: [{kind, domain,
  source: {title, region, domain, path}, title, published_at, slug, id, url, created_at,
  votes: {negative, positive, important, liked, disliked, lol, toxic, saved, comments},
  currencies | instruments: [{code, title, slug, url}]}]}.
"""

COINDESK = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:media="http://search.yahoo.com/mrss/" version="2.0">
<channel>
<title><![CDATA[CoinDesk: Bitcoin, Ethereum, Crypto News and Price Data]]></title>
<link>https://www.coindesk.com</link>
<description><![CDATA[Leader in news and information on cryptocurrency.]]></description>
<item>
<title><![CDATA[Bitcoin Surges to Record High as ETF Inflows Soar]]></title>
<link>https://www.coindesk.com/markets/2026/01/09/bitcoin-surges-to-record-high</link>
<guid isPermaLink="false">8f7c1f9e-3d2a-4c1b-9a55-0c8e0e1d2b11</guid>
<pubDate>Fri, 09 Jan 2026 10:00:00 +0000</pubDate>
<description><![CDATA[<p>BTC climbed past its previous peak.</p>]]></description>
<dc:creator><![CDATA[Jane Doe]]></dc:creator>
</item>
<item>
<title><![CDATA[Exchange Hacked, $40M in Ether Drained]]></title>
<link>https://www.coindesk.com/tech/2026/01/09/exchange-hacked</link>
<guid isPermaLink="false">1b2c3d4e-0000-4000-8000-000000000002</guid>
<pubDate>Fri, 09 Jan 2026 11:30:00 +0000</pubDate>
<description/>
</item>
</channel>
</rss>
"""

COINTELEGRAPH = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0">
<channel>
<title>Cointelegraph.com News</title>
<link>https://cointelegraph.com</link>
<description>Cointelegraph covers fintech, blockchain and Bitcoin</description>
<item>
<title>Solana developers ship network upgrade</title>
<link>https://cointelegraph.com/news/solana-upgrade?utm_source=rss_feed&amp;utm_medium=rss&amp;utm_campaign=rss_partner_inbound</link>
<pubDate>Fri, 09 Jan 2026 09:15:00 +0000</pubDate>
<description>The SOL network update went live.</description>
<enclosure url="https://images.cointelegraph.com/x.jpg" length="0" type="image/jpeg"/>
</item>
</channel>
</rss>
"""

EMPTY_FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Decrypt</title><link>https://decrypt.co</link>
<description>Decrypt</description></channel></rss>
"""

CRYPTOPANIC = {
    "count": 2,
    "next": "https://cryptopanic.com/api/developer/v2/posts/?page=2",
    "previous": None,
    "results": [
        {
            "kind": "news",
            "domain": "cointelegraph.com",
            "source": {"title": "Cointelegraph", "region": "en", "domain": "cointelegraph.com",
                       "path": None},
            "title": "SEC approves spot Ether ETFs in landmark decision",
            "published_at": "2026-01-09T08:00:00Z",
            "slug": "SEC-approves-spot-Ether-ETFs",
            "id": 21000001,
            "url": "https://cryptopanic.com/news/21000001/SEC-approves-spot-Ether-ETFs",
            "created_at": "2026-01-09T08:00:05Z",
            "votes": {"negative": 1, "positive": 20, "important": 5, "liked": 3, "disliked": 0,
                      "lol": 0, "toxic": 0, "saved": 2, "comments": 4},
            "instruments": [{"code": "ETH", "title": "Ethereum", "slug": "ethereum",
                             "url": "https://cryptopanic.com/news/ethereum/"}],
        },
        {
            "kind": "news",
            "domain": "decrypt.co",
            "source": {"title": "Decrypt", "region": "en", "domain": "decrypt.co", "path": None},
            "title": "Dogecoin plunges as whales dump",
            "published_at": "2026-01-09T07:00:00Z",
            "slug": "Dogecoin-plunges",
            "id": 21000002,
            "created_at": "2026-01-09T07:00:03Z",
            "votes": {"negative": 9, "positive": 1, "important": 0, "liked": 0, "disliked": 2,
                      "lol": 1, "toxic": 0, "saved": 0, "comments": 1},
            "currencies": [{"code": "DOGE", "title": "Dogecoin", "slug": "dogecoin",
                            "url": "https://cryptopanic.com/news/dogecoin/"}],
        },
    ],
}  # fmt: skip
