"""The ``vault_keys`` table: which master keys have encrypted secrets, by version.

Only fingerprints are stored (``k-`` + 12 hex digits of an HMAC), never key material, so the
database alone can say which key a secret needs without being able to decrypt it.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, utcnow


class VaultKey(SQLModel, table=True):
    """A master key omc has encrypted with; ``retired_at`` is set once rotation replaced it."""

    __tablename__ = "vault_keys"

    key_id: str = Field(sa_column=sa.Column(sa.String(20), primary_key=True))
    version: int = Field(sa_column=sa.Column(sa.Integer(), nullable=False, unique=True))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    retired_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
