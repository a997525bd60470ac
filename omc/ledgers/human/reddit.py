"""Reddit posts of ``human.subreddits``: app-only OAuth when a client id and secret are set,
else the public JSON listing at its lower rate.

OAuth (Reddit Data API wiki): ``POST {reddit_url}/api/v1/access_token`` with HTTP basic auth
(client id, secret) and ``grant_type=client_credentials`` gives a bearer token for
``GET {reddit_oauth_url}/r/{sub}/new?limit=…&raw_json=1`` (100 requests a minute). Without
credentials: ``GET {reddit_url}/r/{sub}/new.json`` (10 a minute). Both return the same
``Listing`` of ``t3`` children. Reddit asks for a descriptive User-Agent of the form
``<platform>:<app id>:<version> (by /u/<username>)``. The natural key is the post's fullname
(``t3_…``); score and comment counts are updated on later runs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict

import omc
from omc.ledgers.http import MalformedResponse
from omc.ledgers.human.coins import detect_coins
from omc.ledgers.human.models import SocialSentiment
from omc.ledgers.human.sentiment import plain_text, score_text
from omc.ledgers.points import from_unix
from omc.ledgers.registry import register
from omc.ledgers.source import Batch, CollectContext, Normalised, Source
from omc.settings import Settings

SOURCE_NAME = "reddit"
KEY = ("platform", "external_id")
OAUTH_PER_MINUTE = 100
PUBLIC_PER_MINUTE = 10
CONTENT_LIMIT = 4000


class Post(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: str
    title: str
    selftext: str | None = ""
    author: str | None = None
    subreddit: str
    created_utc: float
    score: int = 0
    num_comments: int = 0
    permalink: str | None = None


class Child(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    data: Post


class ListingData(BaseModel):
    model_config = ConfigDict(extra="ignore")

    children: list[Child]


class Listing(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: str
    data: ListingData


def user_agent(settings: Settings) -> str:
    return f"linux:omc:{omc.__version__} (by /u/{settings.human.reddit_username})"


def client_credentials(ctx: CollectContext) -> tuple[str, str] | None:
    """The app's client id and secret (settings or vault), or None to read the public API."""
    client_id = ctx.secret("human.reddit_client_id")
    client_secret = ctx.secret("human.reddit_client_secret")
    return (client_id, client_secret) if client_id and client_secret else None


def app_token(ctx: CollectContext, credentials: tuple[str, str]) -> str:
    """An app-only bearer token (never logged, never put in a message)."""
    human = ctx.settings.human
    headers = {"User-Agent": user_agent(ctx.settings)}
    with ctx.http(SOURCE_NAME, human.reddit_url, headers=headers) as client:
        answer = client.post_json(
            "/api/v1/access_token",
            data={"grant_type": "client_credentials"},
            auth=credentials,
        )
    token = answer.get("access_token") if isinstance(answer, dict) else None
    if not isinstance(token, str) or not token:
        raise MalformedResponse(f"{SOURCE_NAME}: the token answer has no access_token")
    return token


@register
class RedditPosts(Source):
    name = SOURCE_NAME
    ledger = "human"
    interval = dt.timedelta(minutes=10)
    interval_setting = "human.reddit_seconds"
    description = "Reddit new posts of the configured subreddits (OAuth if set, else public)"
    secret_settings = ("human.reddit_client_id", "human.reddit_client_secret")

    def fetch(self, ctx: CollectContext) -> dict[str, Any]:
        human = ctx.settings.human
        headers = {"User-Agent": user_agent(ctx.settings)}
        params = {"limit": min(max(human.reddit_limit, 1), 100), "raw_json": 1}
        credentials = client_credentials(ctx)
        if credentials is not None:
            headers["Authorization"] = f"bearer {app_token(ctx, credentials)}"
            base, suffix, rate, mode = human.reddit_oauth_url, "", OAUTH_PER_MINUTE, "oauth"
        else:
            base, suffix, rate, mode = human.reddit_url, ".json", PUBLIC_PER_MINUTE, "public"
        listings = {}
        with ctx.http(SOURCE_NAME, base, requests_per_minute=rate, headers=headers) as client:
            for sub in human.subreddits:
                listings[sub] = client.get_json(f"/r/{sub}/new{suffix}", params)
        return {"listings": listings, "mode": mode}

    def validate(self, raw: dict[str, Any]) -> dict[str, Any]:
        listings = {sub: Listing.model_validate(body) for sub, body in raw["listings"].items()}
        return {"listings": listings, "mode": raw["mode"]}

    def normalise(self, validated: dict[str, Any], ctx: CollectContext) -> Normalised:
        now = ctx.clock()
        watchlist = list(ctx.settings.market.watchlist)
        rows = []
        for listing in validated["listings"].values():
            for child in listing.data.children:
                if child.kind != "t3":
                    continue
                post = child.data
                text = f"{post.title}\n\n{plain_text(post.selftext)}".strip()
                scored = score_text(text)
                rows.append(
                    {
                        "platform": SOURCE_NAME,
                        "external_id": post.name,
                        "community": post.subreddit[:100],
                        "author": (post.author or None) and post.author[:100],
                        "content": text[:CONTENT_LIMIT],
                        "url": f"https://www.reddit.com{post.permalink}"
                        if post.permalink
                        else None,
                        "score": post.score,
                        "comments": post.num_comments,
                        "sentiment": scored.label,
                        "sentiment_score": scored.score,
                        "currencies": detect_coins(text, watchlist),
                        "posted_at": from_unix(post.created_utc) or now,
                        "collected_at": now,
                    }
                )
        detail = {"posts": len(rows), "mode": validated["mode"]}
        return Normalised([Batch(SocialSentiment.__table__, rows, KEY)], detail)
