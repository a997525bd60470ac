"""The lab session's own records: its numbered events and every LLM request and response.

Both are keyed by ``(session_id, seq)``: a stage that runs again after a crash produces the same
numbers, so an event is never written twice and a completed LLM call is answered from its
record instead of being paid for again. The recorded calls are also what ``omc lab replay``
answers from. Requests hold messages only, never a key.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import Money, UTCDateTime, utcnow

_BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class AgentEvent(SQLModel, table=True):
    """One thing that happened in a session (a stage began, a tool call, a sandbox run, …)."""

    __tablename__ = "agent_events"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq"),)

    id: int | None = Field(default=None, sa_column=sa.Column(_BIG_ID, primary_key=True))
    session_id: uuid.UUID = Field(
        foreign_key="agent_sessions.id", ondelete="CASCADE", nullable=False
    )
    seq: int = Field(nullable=False)
    occurred_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
    stage: str = Field(max_length=30)
    kind: str = Field(max_length=40)
    data: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))


class AgentLLMCall(SQLModel, table=True):
    """One LLM request of a session and the response it got (LangChain message dicts)."""

    __tablename__ = "agent_llm_calls"
    __table_args__ = (sa.UniqueConstraint("session_id", "seq"),)

    id: int | None = Field(default=None, sa_column=sa.Column(_BIG_ID, primary_key=True))
    session_id: uuid.UUID = Field(
        foreign_key="agent_sessions.id", ondelete="CASCADE", nullable=False
    )
    seq: int = Field(nullable=False)
    stage: str = Field(max_length=30)
    request_hash: str = Field(max_length=64)
    request: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    response: dict[str, Any] = Field(default_factory=dict, sa_column=sa.Column(sa.JSON()))
    input_tokens: int = Field(default=0, nullable=False)
    output_tokens: int = Field(default=0, nullable=False)
    cost_usd: Decimal | None = Field(default=None, sa_column=sa.Column(Money(), nullable=True))
    latency_ms: int = Field(default=0, nullable=False)
    created_at: dt.datetime = Field(
        default_factory=utcnow, sa_column=sa.Column(UTCDateTime(), nullable=False)
    )
