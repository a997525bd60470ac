"""Lab sessions: agent_events and agent_llm_calls (a session's numbered events and recorded LLM
calls), and on agent_sessions the process working on it and the session a replay repeats.

Revision ID: 0011_lab_sessions
Revises: 0010_lab
Create Date: 2026-12-03 07:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0011_lab_sessions"
down_revision: str | None = "0010_lab"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("worker_pid", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("worker_host", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("replay_of", sa.Uuid(), nullable=True))
    op.create_table(
        "agent_events",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("data", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agent_sessions.id"],
            name=op.f("fk_agent_events_session_id_agent_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_events")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_agent_events_session_id_seq")),
    )
    op.create_table(
        "agent_llm_calls",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=30), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("response", sa.JSON(), nullable=True),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", omc.db.Money(), nullable=True),
        sa.Column("latency_ms", sa.Integer(), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agent_sessions.id"],
            name=op.f("fk_agent_llm_calls_session_id_agent_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_llm_calls")),
        sa.UniqueConstraint("session_id", "seq", name=op.f("uq_agent_llm_calls_session_id_seq")),
    )


def downgrade() -> None:
    op.drop_table("agent_llm_calls")
    op.drop_table("agent_events")
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_column("replay_of")
        batch_op.drop_column("worker_host")
        batch_op.drop_column("worker_pid")
