"""Catalyst ledger responses, written to the documented shapes.

- SEC EDGAR current filings (``browse-edgar?action=getcurrent&output=atom``): the structure of
  the real capture quoted in the research note §5 ("Latest Filings - Sun, 17 Mar 2024"): one
  ``<entry>`` per party with title ``<form> - <NAME> (<CIK>) (<role>)``, an html summary with
  ``AccNo``, ``<updated>``, a ``form type`` category and id
  ``urn:tag:sec.gov,2008:accession-number=<accession>``; ISO-8859-1.
- Binance CMS article list (undocumented; the older real body quoted in the research note §6,
  from ToucanBran/crypto-announcment-scraper): {code: "000000", message, messageDetail,
  data: {articles: [{id, code, title, releaseDate?}]}}; the catalogs form nests the same
  articles under ``data.catalogs[].articles``.
"""


def edgar_entry(form: str, name: str, cik: str, role: str, accession: str, updated: str) -> str:
    folder = f"{int(cik)}/{accession.replace('-', '')}"
    return f"""<entry>
<title>{form} - {name} ({cik}) ({role})</title>
<link rel="alternate" type="text/html" href="https://www.sec.gov/Archives/edgar/data/{folder}/{accession}-index.htm"/>
<summary type="html"> &lt;b&gt;Filed:&lt;/b&gt; {updated[:10]} &lt;b&gt;AccNo:&lt;/b&gt; {accession} &lt;b&gt;Size:&lt;/b&gt; 9 KB</summary>
<updated>{updated}</updated>
<category scheme="https://www.sec.gov/" label="form type" term="{form}"/>
<id>urn:tag:sec.gov,2008:accession-number={accession}</id>
</entry>"""


def edgar_feed(*entries: str) -> bytes:
    head = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<feed xmlns="http://www.w3.org/2005/Atom">
<title>Latest Filings - Fri, 09 Jan 2026 09:31:10 EST</title>
<link rel="alternate" href="/cgi-bin/browse-edgar?action=getcurrent"/>
<link rel="self" href="/cgi-bin/browse-edgar?action=getcurrent"/>
<id>https://www.sec.gov/cgi-bin/browse-edgar?action=getcurrent</id>
<author><name>Webmaster</name><email>webmaster@sec.gov</email></author>
<updated>2026-01-09T09:31:10-05:00</updated>
"""
    return (head + "\n".join(entries) + "\n</feed>\n").encode("iso-8859-1")


COINBASE_8K = [
    edgar_entry("8-K", "Coinbase Global, Inc.", "0001679788", "Filer",
                "0001679788-26-000004", "2026-01-09T09:05:12-05:00"),
]  # fmt: skip
INSIDER_4 = [
    edgar_entry("4", "ARMSTRONG BRIAN", "0001688789", "Reporting",
                "0001209191-26-000111", "2026-01-09T09:10:00-05:00"),
    edgar_entry("4", "Coinbase Global, Inc.", "0001679788", "Issuer",
                "0001209191-26-000111", "2026-01-09T09:10:00-05:00"),
]  # fmt: skip
ETF_S1 = [
    edgar_entry("S-1/A", "Canary XRP ETF", "0002039458", "Filer",
                "0001999371-26-000020", "2026-01-09T09:20:00-05:00"),
]  # fmt: skip
UNRELATED = [
    edgar_entry("10-Q", "ACME WIDGETS CORP", "0000012345", "Filer",
                "0000012345-26-000001", "2026-01-09T09:25:00-05:00"),
    edgar_entry("8-K", "NEWMONT MINING CORP", "0001164727", "Filer",
                "0001164727-26-000002", "2026-01-09T09:26:00-05:00"),
]  # fmt: skip

BINANCE_ARTICLES = {
    "code": "000000",
    "message": None,
    "messageDetail": None,
    "data": {
        "articles": [
            {"id": 72789, "code": "f9e1c7a6b5d44c3e8a2b1c0d9e8f7a6b",
             "title": "Binance Will List Rari Governance Token (RGT)",
             "releaseDate": 1767952800000},
            {"id": 72790, "code": "0a1b2c3d4e5f60718293a4b5c6d7e8f9",
             "title": "Binance Will Add Jupiter (JUP) and Pyth Network (PYTH) on Earn",
             "releaseDate": 1767956400000},
            {"id": 72791, "code": "11111111111111111111111111111111",
             "title": "Notice on New Trading Pairs & Trading Bots Services on Binance Spot"},
        ]
    },
    "success": True,
}  # fmt: skip
BINANCE_CATALOGS = {
    "code": "000000",
    "message": None,
    "messageDetail": None,
    "data": {
        "catalogs": [
            {"catalogId": 48, "catalogName": "New Cryptocurrency Listing",
             "articles": [{"id": 80001, "code": "abc", "title": "Binance Will List Foo (FOO)",
                           "releaseDate": 1767960000000}]}
        ]
    },
}  # fmt: skip
