"""agent_sessions, algorithms, agent_artifacts: the lab's sessions, versioned algorithms and files.

Revision ID: 0010_lab
Revises: 0009_floor_deployments
Create Date: 2026-12-03 06:34:59.637403
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0010_lab"
down_revision: str | None = "0009_floor_deployments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agent_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=True),
        sa.Column("state", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("as_of", omc.db.UTCDateTime(), nullable=True),
        sa.Column("llm_credentials_id", sa.Uuid(), nullable=True),
        sa.Column("llm_provider", sa.String(length=50), nullable=True),
        sa.Column("llm_model_name", sa.String(length=100), nullable=True),
        sa.Column("calls_used", sa.Integer(), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", omc.db.Money(), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", omc.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["llm_credentials_id"],
            ["user_llm_credentials.id"],
            name=op.f("fk_agent_sessions_llm_credentials_id_user_llm_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_sessions_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_sessions")),
    )
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_sessions_user_id_created_at", ["user_id", "created_at"], unique=False
        )

    op.create_table(
        "algorithms",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("feature_source", sa.Text(), nullable=False),
        sa.Column("feature_sha256", sa.String(length=64), nullable=False),
        sa.Column("feature_columns", omc.db.StringList(), nullable=False),
        sa.Column("label", sa.JSON(), nullable=False),
        sa.Column("model_kind", sa.String(length=50), nullable=False),
        sa.Column("model_params", sa.JSON(), nullable=False),
        sa.Column("decision", sa.JSON(), nullable=False),
        sa.Column("coins", omc.db.StringList(), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("bar_seconds", sa.Integer(), nullable=False),
        sa.Column("data_since", omc.db.UTCDateTime(), nullable=False),
        sa.Column("data_until", omc.db.UTCDateTime(), nullable=False),
        sa.Column("as_of", omc.db.UTCDateTime(), nullable=True),
        sa.Column("random_seed", sa.Integer(), nullable=False),
        sa.Column("library_versions", sa.JSON(), nullable=False),
        sa.Column("trials", sa.Integer(), nullable=False),
        sa.Column("evaluation", sa.JSON(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("retired_at", omc.db.UTCDateTime(), nullable=True),
        sa.CheckConstraint(
            "status IN ('draft', 'validated', 'promoted', 'retired')",
            name=op.f("ck_algorithms_status"),
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agent_sessions.id"],
            name=op.f("fk_algorithms_session_id_agent_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_algorithms_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_algorithms")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_algorithms_name_version")),
    )
    op.create_table(
        "agent_artifacts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("path", sa.String(length=500), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("algorithm_id", sa.Uuid(), nullable=True),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["algorithm_id"],
            ["algorithms.id"],
            name=op.f("fk_agent_artifacts_algorithm_id_algorithms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["agent_sessions.id"],
            name=op.f("fk_agent_artifacts_session_id_agent_sessions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_agent_artifacts_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agent_artifacts")),
    )
    with op.batch_alter_table("agent_artifacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_agent_artifacts_algorithm_id_kind", ["algorithm_id", "kind"], unique=False
        )
        batch_op.create_index("ix_agent_artifacts_session_id", ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("agent_artifacts", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_artifacts_session_id")
        batch_op.drop_index("ix_agent_artifacts_algorithm_id_kind")

    op.drop_table("agent_artifacts")
    op.drop_table("algorithms")
    with op.batch_alter_table("agent_sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_agent_sessions_user_id_created_at")

    op.drop_table("agent_sessions")
