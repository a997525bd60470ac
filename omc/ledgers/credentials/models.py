"""The ``source_credentials`` table: the collectors' API keys, encrypted by the vault.

They belong to the installation, not to a user (the collector daemon runs for everyone), so the
setting's dotted name is the primary key. Only a masked hint is kept in clear.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, utcnow


class SourceCredential(SQLModel, table=True):
    """One collector secret, named like its setting (``glass.nansen_api_key``)."""

    __tablename__ = "source_credentials"

    name: str = Field(sa_column=sa.Column(sa.String(100), primary_key=True))
    encrypted_value: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    encryption_key_id: str | None = Field(
        default=None, sa_column=sa.Column(sa.String(20), nullable=True)
    )
    value_hint: str = Field(default="", sa_column=sa.Column(sa.String(20), nullable=False))
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
