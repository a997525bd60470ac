"""CryptoPanic posts (token): ``GET {human.cryptopanic_path}?auth_token=…&public=true``.

The path depends on the plan (``/api/developer/v2/posts/``, ``/api/free/v2/posts/``, the legacy
``/api/v1/posts/``), so it is a setting. The token travels in the query string, as the API
requires; our error messages name only the path, and httpx's request log is kept quiet. Coin
tags come from ``currencies`` (v1) or ``instruments`` (v2), joined with coins detected in the
title. Sentiment is the text score averaged with the readers' positive/negative votes when
there are any. One page per run: polling every few minutes keeps up with the feed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

from omc.ledgers.human.models import NewsSentiment
from omc.ledgers.human.rss import news_row
from omc.ledgers.human.sentiment import combine, plain_text, score_text, vote_score
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source

SOURCE_NAME = "cryptopanic"
KEY = ("provider", "external_id")


class Tag(BaseModel):
    model_config = ConfigDict(extra="ignore")

    code: str


class Outlet(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: str | None = None
    domain: str | None = None


class Votes(BaseModel):
    model_config = ConfigDict(extra="ignore")

    positive: int = 0
    negative: int = 0


class Post(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: int | str
    title: str
    published_at: dt.datetime
    url: str | None = None
    slug: str | None = None
    domain: str | None = None
    description: str | None = None
    source: Outlet | None = None
    votes: Votes | None = None
    currencies: list[Tag] | None = None
    instruments: list[Tag] | None = None


class Posts(BaseModel):
    model_config = ConfigDict(extra="ignore")

    results: list[Post]


def post_url(post: Post) -> str | None:
    if post.url:
        return post.url
    if post.slug:
        return f"https://cryptopanic.com/news/{post.id}/{post.slug}"
    return None


@register
class CryptoPanic(Source):
    name = SOURCE_NAME
    ledger = "human"
    interval = dt.timedelta(minutes=5)
    interval_setting = "human.cryptopanic_seconds"
    description = "CryptoPanic news posts with readers' votes (token)"
    required_settings = ("human.cryptopanic_token",)
    secret_settings = ("human.cryptopanic_token",)

    def fetch(self, ctx: CollectContext) -> Any:
        human = ctx.settings.human
        token = ctx.secret("human.cryptopanic_token") or ""
        params = {"auth_token": token, "public": "true", "kind": "news"}
        with ctx.http(SOURCE_NAME, human.cryptopanic_url) as client:
            return client.get_json(human.cryptopanic_path, params)

    def validate(self, raw: Any) -> Posts:
        return Posts.model_validate(raw)

    def normalise(self, validated: Posts, ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        watchlist = list(ctx.settings.market.watchlist)
        rows = []
        for post in validated.results:
            tags = [tag.code.upper() for tag in (post.instruments or post.currencies or [])]
            text = f"{post.title}. {plain_text(post.description)}"
            votes = post.votes or Votes()
            outlet = (post.source and (post.source.title or post.source.domain)) or post.domain
            rows.append(
                news_row(
                    provider=SOURCE_NAME,
                    external_id=str(post.id),
                    outlet=outlet or "CryptoPanic",
                    title=post.title,
                    url=post_url(post),
                    text=text,
                    published_at=post.published_at,
                    collected_at=now,
                    watchlist=watchlist,
                    currencies=tags,
                    sentiment=combine(score_text(text), vote_score(votes.positive, votes.negative)),
                )
            )
        return Normalised([Batch(NewsSentiment.__table__, rows, KEY)], {"posts": len(rows)})
