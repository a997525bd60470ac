"""The lab's tables (seed §5.1): research sessions, the files they made, and algorithms.

An *algorithm* is a versioned, reproducible recipe from point-in-time ledger data to a target
position: feature source, label, model kind and parameters, decision rule, the data it was
fitted on and its evaluation. Its model file and reports are ``agent_artifacts`` rows pointing
at files under ``OMC_HOME/artifacts/`` with their sha256. Relationships are child to parent only
(seed §9.1).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

import omc.core.models
import omc.llm.models  # noqa: F401  (the tables these rows refer to)
from omc.db import Money, StringList, UTCDateTime, new_id, utcnow

ALGORITHM_STATUSES = ("draft", "validated", "promoted", "retired")


def _when(nullable: bool = False) -> Any:
    return sa.Column(UTCDateTime(), nullable=nullable)


class AgentSession(SQLModel, table=True):
    """One research session: the goal, its status and plan, the model that ran it (seed §11.2)
    and what it used of its budget. The recipe (no LLM) records a session too, provider None."""

    __tablename__ = "agent_sessions"
    __table_args__ = (sa.Index("ix_agent_sessions_user_id_created_at", "user_id", "created_at"),)

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", nullable=True
    )
    goal: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    status: str = Field(default="created", sa_column=sa.Column(sa.String(30), nullable=False))
    kind: str = Field(default="agents", sa_column=sa.Column(sa.String(20), nullable=False))
    plan: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    state: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    result: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    error: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    as_of: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    llm_credentials_id: uuid.UUID | None = Field(
        default=None, foreign_key="user_llm_credentials.id", ondelete="SET NULL", nullable=True
    )
    llm_provider: str | None = Field(default=None, max_length=50)
    llm_model_name: str | None = Field(default=None, max_length=100)
    calls_used: int = Field(default=0, nullable=False)
    input_tokens: int = Field(default=0, nullable=False)
    output_tokens: int = Field(default=0, nullable=False)
    cost_usd: Decimal = Field(
        default=Decimal("0"), sa_column=sa.Column(Money(), nullable=False, default=0)
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    finished_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    # The process working on a lab session (to refuse a second one), and the session a replay
    # repeats (migration 0011).
    worker_pid: int | None = Field(default=None, nullable=True)
    worker_host: str | None = Field(default=None, max_length=255)
    replay_of: uuid.UUID | None = Field(default=None, nullable=True)


class Algorithm(SQLModel, table=True):
    """One version of a named algorithm; (name, version) is unique, versions count from 1."""

    __tablename__ = "algorithms"
    __table_args__ = (
        sa.UniqueConstraint("name", "version"),
        sa.CheckConstraint(
            "status IN ('draft', 'validated', 'promoted', 'retired')", name="status"
        ),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    name: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    version: int = Field(nullable=False)
    status: str = Field(default="draft", sa_column=sa.Column(sa.String(20), nullable=False))
    description: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    feature_source: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    feature_sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    feature_columns: list[str] = Field(
        default_factory=list, sa_column=sa.Column(StringList(), nullable=False)
    )
    label: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    model_kind: str = Field(sa_column=sa.Column(sa.String(50), nullable=False))
    model_params: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    decision: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    coins: list[str] = Field(sa_column=sa.Column(StringList(), nullable=False))
    quote: str = Field(sa_column=sa.Column(sa.String(10), nullable=False))
    bar_seconds: int = Field(nullable=False)
    data_since: dt.datetime = Field(sa_column=_when())
    data_until: dt.datetime = Field(sa_column=_when())
    as_of: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))
    random_seed: int = Field(default=0, nullable=False)
    library_versions: dict[str, Any] = Field(sa_column=sa.Column(sa.JSON(), nullable=False))
    trials: int = Field(default=1, nullable=False)
    evaluation: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", nullable=True
    )
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="agent_sessions.id", ondelete="SET NULL", nullable=True
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    updated_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
    retired_at: dt.datetime | None = Field(default=None, sa_column=_when(nullable=True))


class AgentArtifact(SQLModel, table=True):
    """A file a session or an algorithm made (model, report, plot), with its sha256; a file whose
    hash no longer matches is refused when read."""

    __tablename__ = "agent_artifacts"
    __table_args__ = (
        sa.Index("ix_agent_artifacts_algorithm_id_kind", "algorithm_id", "kind"),
        sa.Index("ix_agent_artifacts_session_id", "session_id"),
    )

    id: uuid.UUID = Field(default_factory=new_id, primary_key=True)
    kind: str = Field(sa_column=sa.Column(sa.String(30), nullable=False))
    path: str = Field(sa_column=sa.Column(sa.String(500), nullable=False))
    sha256: str = Field(sa_column=sa.Column(sa.String(64), nullable=False))
    size_bytes: int = Field(sa_column=sa.Column(sa.BigInteger(), nullable=False))
    media_type: str = Field(sa_column=sa.Column(sa.String(100), nullable=False))
    algorithm_id: uuid.UUID | None = Field(
        default=None, foreign_key="algorithms.id", ondelete="CASCADE", nullable=True
    )
    session_id: uuid.UUID | None = Field(
        default=None, foreign_key="agent_sessions.id", ondelete="SET NULL", nullable=True
    )
    user_id: uuid.UUID | None = Field(
        default=None, foreign_key="users.id", ondelete="SET NULL", nullable=True
    )
    created_at: dt.datetime = Field(default_factory=utcnow, sa_column=_when())
