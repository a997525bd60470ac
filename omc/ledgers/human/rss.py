"""News RSS (no key): CoinDesk, Cointelegraph, Decrypt, CryptoSlate by default
(``human.rss_feeds``: outlet name → feed URL), parsed with ``feedparser``.

Each item's natural key is its ``<guid>`` (CoinDesk: a UUID), else its link without the
tracking query (Cointelegraph appends ``utm_*``). ``published_at`` is the item's ``pubDate``
(feedparser normalises it to UTC); an item without one is stamped with the time of the run. One
feed failing does not lose the others: the run fails only when every feed failed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel

from omc.ledgers.http import MalformedResponse, SourceError, split_url
from omc.ledgers.human.coins import detect_coins
from omc.ledgers.human.models import NewsSentiment
from omc.ledgers.human.sentiment import plain_text, score_text
from omc.ledgers.points import from_struct
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "rss"
KEY = ("provider", "external_id")


class Item(BaseModel):
    outlet: str
    external_id: str
    title: str
    url: str | None
    summary: str
    published_at: dt.datetime | None


def without_tracking(url: str) -> str:
    """``url`` without ``utm_*`` query parameters."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query) if not k.lower().startswith("utm_")]
    return urlunsplit(parts._replace(query=urlencode(query)))


def parse_feed(outlet: str, body: bytes) -> list[Item]:
    """Items of one feed; a body that is not a feed at all is malformed."""
    import feedparser

    parsed = feedparser.parse(body)
    if parsed.bozo and not parsed.entries:
        raise MalformedResponse(f"{SOURCE_NAME} {outlet}: not an RSS or Atom feed")
    if not parsed.entries and "title" not in parsed.feed:
        raise MalformedResponse(f"{SOURCE_NAME} {outlet}: not an RSS or Atom feed")
    items = []
    for entry in parsed.entries:
        title = plain_text(entry.get("title"))
        link = entry.get("link")
        key = entry.get("id") or (without_tracking(link) if link else None)
        if not title or not key:
            continue  # an item with no title or identity cannot be stored or deduplicated
        items.append(
            Item(
                outlet=outlet,
                external_id=str(key)[:300],
                title=title,
                url=link,
                summary=plain_text(entry.get("summary")),
                published_at=from_struct(
                    entry.get("published_parsed") or entry.get("updated_parsed")
                ),
            )
        )
    return items


def news_row(
    *,
    provider: str,
    external_id: str,
    outlet: str,
    title: str,
    url: str | None,
    text: str,
    published_at: dt.datetime,
    collected_at: dt.datetime,
    watchlist: list[str],
    currencies: list[str] | None = None,
    sentiment: Any = None,
) -> dict[str, Any]:
    """One ``news_sentiment`` row, scored and with its coins detected."""
    scored = sentiment or score_text(text)
    coins = sorted(set(currencies or []) | set(detect_coins(text, watchlist)))
    return {
        "provider": provider,
        "external_id": external_id,
        "source": outlet[:100],
        "title": title,
        "url": url,
        "sentiment": scored.label,
        "sentiment_score": scored.score,
        "currencies": coins,
        "published_at": published_at,
        "collected_at": collected_at,
    }


@register
class NewsFeeds(Source):
    name = SOURCE_NAME
    ledger = "human"
    interval = dt.timedelta(minutes=5)
    interval_setting = "human.rss_seconds"
    description = "News RSS: CoinDesk, Cointelegraph, Decrypt, CryptoSlate (no key)"

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        bodies: dict[str, bytes] = {}
        problems: dict[str, str] = {}
        headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml"}
        for outlet, url in ctx.settings.human.rss_feeds.items():
            try:
                origin, path = split_url(url)
                with ctx.http(f"{SOURCE_NAME} {outlet}", origin, headers=headers) as client:
                    bodies[outlet] = client.get_bytes(path)
            except SourceError as error:
                problems[outlet] = error.message
        if problems and not bodies:
            raise SourceError(f"{SOURCE_NAME}: every feed failed: {'; '.join(problems.values())}")
        return {"bodies": bodies, "problems": problems}

    def validate(self, raw: dict[str, Any]) -> dict[str, Any]:
        items: list[Item] = []
        problems = dict(raw["problems"])
        for outlet, body in raw["bodies"].items():
            try:
                items.extend(parse_feed(outlet, body))
            except MalformedResponse as error:
                problems[outlet] = error.message
        if problems and not items and len(problems) == len(raw["bodies"]) + len(raw["problems"]):
            raise MalformedResponse(
                f"{SOURCE_NAME}: no feed could be read: {'; '.join(problems.values())}"
            )
        return {"items": items, "problems": problems}

    def normalise(self, validated: dict[str, Any], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        watchlist = list(ctx.settings.market.watchlist)
        rows = [
            news_row(
                provider=SOURCE_NAME,
                external_id=item.external_id,
                outlet=item.outlet,
                title=item.title,
                url=item.url,
                text=f"{item.title}. {item.summary}",
                published_at=item.published_at or now,
                collected_at=now,
                watchlist=watchlist,
            )
            for item in validated["items"]
        ]
        detail: dict[str, Any] = {"items": len(rows)}
        if validated["problems"]:
            detail["feed_problems"] = validated["problems"]
        return Normalised([Batch(NewsSentiment.__table__, rows, KEY)], detail)
