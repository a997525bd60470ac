"""BYOM tables: users' LLM credentials, usage per call, validation attempts, session budgets.

Relationships are declared child to parent only (seed §9.1); a user's rows are found by query.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import Money, UTCDateTime, new_id, utcnow


class UserLLMCredential(SQLModel, table=True):
    """One user's key for one provider and model, encrypted by the vault (seed §11.2).

    ``encrypted_api_key`` is NULL for a key-less OpenAI-compatible server and after a purge.
    """

    __tablename__ = "user_llm_credentials"
    __table_args__ = (
        sa.Index("ix_user_llm_credentials_user_id_is_active", "user_id", "is_active"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    provider: str = Field(max_length=30)
    model_name: str = Field(max_length=100)
    base_url: str | None = Field(default=None, max_length=500)
    encrypted_api_key: str | None = Field(default=None, sa_column=sa.Column(sa.Text()))
    encryption_key_id: str | None = Field(default=None, max_length=20)
    key_hint: str = Field(
        default="", max_length=20
    )  # the masked key, for listing without decrypting
    is_default: bool = Field(default=False, nullable=False)
    is_active: bool = Field(default=True, nullable=False)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    updated_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    last_used_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )


class LLMUsage(SQLModel, table=True):
    """Tokens (and estimated cost) of one LLM call, for ``omc llm usage`` and cost limits."""

    __tablename__ = "llm_usage"
    __table_args__ = (
        sa.Index("ix_llm_usage_user_id_occurred_at", "user_id", "occurred_at"),
        sa.Index("ix_llm_usage_session_id", "session_id"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    occurred_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    session_id: uuid.UUID | None = Field(default=None, nullable=True)
    credential_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_llm_credentials.id", ondelete="SET NULL", nullable=True
    )
    provider: str = Field(max_length=30)
    model_name: str = Field(max_length=100)
    input_tokens: int = Field(default=0, nullable=False)
    output_tokens: int = Field(default=0, nullable=False)
    cost_usd: Decimal | None = Field(default=None, sa_column=sa.Column(Money(), nullable=True))


class LLMValidationAttempt(SQLModel, table=True):
    """One key validation, kept so the hourly limit holds across short-lived CLI processes."""

    __tablename__ = "llm_validation_attempts"
    __table_args__ = (
        sa.Index("ix_llm_validation_attempts_user_id_attempted_at", "user_id", "attempted_at"),
    )

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    attempted_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    provider: str = Field(max_length=30)
    succeeded: bool = Field(default=False, nullable=False)


class LLMSessionBudget(SQLModel, table=True):
    """A lab session's LLM allowance: calls made against a call limit, and a cost limit."""

    __tablename__ = "llm_session_budgets"

    session_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", ondelete="CASCADE", nullable=False)
    call_limit: int = Field(nullable=False)
    calls_used: int = Field(default=0, nullable=False)
    cost_limit_usd: Decimal | None = Field(
        default=None, sa_column=sa.Column(Money(), nullable=True)
    )
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
