"""Binance new-listing announcements: catalog 48 of Binance's public CMS web API (no key).

``GET {catalyst.binance_url}/bapi/composite/v1/public/cms/article/list/query?type=1&catalogId=48
&pageNo=1&pageSize=N``. The API is undocumented: articles have been seen both under
``data.articles`` and under ``data.catalogs[].articles``, so both are read. Titles follow
"Binance Will List <Name> (<TICKER>)"; every ``(TICKER)`` in the title becomes a coin of the
event. ``releaseDate`` (milliseconds) is the announcement time when present. A browser-like
User-Agent is sent, as every client of this endpoint does.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from omc.ledgers.catalyst.models import CatalystEvent
from omc.ledgers.http import MalformedResponse
from omc.ledgers.points import from_unix
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "binance_listings"
CATALOG = 48
TICKER = re.compile(r"\(([A-Z0-9]{2,15})\)")
KEY = ("source", "external_id")


class Article(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    code: str | None = None
    title: str
    releaseDate: int | None = None


class Catalog(BaseModel):
    model_config = ConfigDict(extra="ignore")

    articles: list[Article] = []


class Data(BaseModel):
    model_config = ConfigDict(extra="ignore")

    articles: list[Article] | None = None
    catalogs: list[Catalog] | None = None


class Answer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str
    data: Data


def tickers(title: str) -> list[str]:
    """``Binance Will List Rari Governance Token (RGT)`` → ``["RGT"]``."""
    return list(dict.fromkeys(TICKER.findall(title)))


def impact(title: str) -> int:
    """An outright spot listing moves a coin most; other catalog-48 notices less."""
    return 8 if re.search(r"\bwill list\b", title, re.IGNORECASE) else 5


@register
class BinanceListings(Source):
    name = SOURCE_NAME
    ledger = "catalyst"
    interval = dt.timedelta(seconds=60)
    interval_setting = "catalyst.binance_seconds"
    description = "Binance new-listing announcements (catalog 48), ticker from the title"

    def fetch(self, ctx: CollectContext) -> Any:
        catalyst = ctx.settings.catalyst
        params = {
            "type": 1,
            "catalogId": CATALOG,
            "pageNo": 1,
            "pageSize": catalyst.binance_page_size,
        }
        headers = {"User-Agent": catalyst.binance_user_agent}
        with ctx.http(SOURCE_NAME, catalyst.binance_url, headers=headers) as client:
            return client.get_json("/bapi/composite/v1/public/cms/article/list/query", params)

    def validate(self, raw: Any) -> list[Article]:
        answer = Answer.model_validate(raw)
        if answer.code != "000000":
            raise MalformedResponse(f"{SOURCE_NAME}: the answer's code is {answer.code!r}")
        articles = list(answer.data.articles or [])
        for catalog in answer.data.catalogs or []:
            articles.extend(catalog.articles)
        return articles

    def normalise(self, validated: list[Article], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        rows = []
        for article in validated:
            coins = tickers(article.title)
            if not coins:
                continue  # a notice about many coins or none: not a listing of one coin
            rows.append(
                {
                    "source": SOURCE_NAME,
                    "external_id": str(article.id),
                    "event_type": "listing",
                    "title": article.title,
                    "description": f"Binance announcement: {article.title}",
                    "url": f"https://www.binance.com/en/support/announcement/{article.code}"
                    if article.code
                    else None,
                    "impact_score": impact(article.title),
                    "currencies": coins,
                    "published_at": from_unix(article.releaseDate) or now,
                    "collected_at": now,
                }
            )
        detail = {"articles": len(validated), "listings": len(rows)}
        return Normalised([Batch(CatalystEvent.__table__, rows, KEY, update=())], detail)
