"""The ``coinspot_credentials`` table: each user's CoinSpot API key and secret, encrypted.

Key and secret are sealed together as one JSON ciphertext; only masked hints are kept in clear.
"""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, new_id, utcnow


class CoinspotCredential(SQLModel, table=True):
    """A user's CoinSpot API credentials (one active row per user)."""

    __tablename__ = "coinspot_credentials"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(
        foreign_key="users.id", ondelete="CASCADE", nullable=False, unique=True
    )
    encrypted_secret: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    encryption_key_id: str | None = Field(default=None, max_length=20)
    key_hint: str = Field(default="", max_length=20)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
