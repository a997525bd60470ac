"""The ``users`` and ``audit_log`` tables.

Relationships are declared child to parent only (seed §9.1); a user's rows are found by query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, new_id, utcnow


class User(SQLModel, table=True):
    """A person omc acts for. The single-user case is the OS login, created on first use."""

    __tablename__ = "users"

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    username: str = Field(sa_column=sa.Column(sa.String(150), nullable=False, unique=True))
    display_name: str | None = Field(default=None, max_length=200)
    is_active: bool = Field(default=True, nullable=False)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )


class AuditLog(SQLModel, table=True):
    """Who did what, when: key decryptions, promotions, trading decisions.

    ``detail`` holds structured context and must never hold a secret.
    """

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_user_id_occurred_at", "user_id", "occurred_at"),)

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    occurred_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", nullable=True
    )
    action: str = Field(max_length=100, index=True)
    target: str | None = Field(default=None, max_length=300)
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
