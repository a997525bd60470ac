"""The Human ledger's tables: news and social posts with their sentiment.

Natural keys are the provider's own item ids (a CryptoPanic id, an RSS guid, a Reddit fullname),
so a repeated collection updates votes and scores instead of adding rows.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import StringList, UTCDateTime, utcnow

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when() -> sa.Column:
    return sa.Column(UTCDateTime(), nullable=False)


def _currencies() -> sa.Column:
    return sa.Column(StringList(), nullable=False)


class NewsSentiment(SQLModel, table=True):
    """One news article (CryptoPanic, RSS) and its sentiment."""

    __tablename__ = "news_sentiment"
    __table_args__ = (
        sa.UniqueConstraint("provider", "external_id"),
        sa.Index("ix_news_sentiment_published_at", "published_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    provider: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    external_id: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    source: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    title: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    sentiment: str | None = Field(default=None, max_length=20)
    sentiment_score: float | None = Field(default=None)
    currencies: list[str] = Field(default_factory=list, sa_column=_currencies())
    published_at: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())


class SocialSentiment(SQLModel, table=True):
    """One social post (Reddit, …) with its score and sentiment."""

    __tablename__ = "social_sentiment"
    __table_args__ = (
        sa.UniqueConstraint("platform", "external_id"),
        sa.Index("ix_social_sentiment_posted_at", "posted_at"),
    )

    id: int | None = Field(default=None, sa_column=sa.Column(BIG_ID, primary_key=True))
    platform: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    external_id: str = Field(sa_column=sa.Column(sa.String(300), nullable=False))
    community: str | None = Field(default=None, max_length=100)
    author: str | None = Field(default=None, max_length=100)
    content: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    url: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    score: int = Field(default=0, nullable=False)
    comments: int = Field(default=0, nullable=False)
    sentiment: str | None = Field(default=None, max_length=20)
    sentiment_score: float | None = Field(default=None)
    currencies: list[str] = Field(default_factory=list, sa_column=_currencies())
    posted_at: dt.datetime = Field(sa_column=_when())
    collected_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
