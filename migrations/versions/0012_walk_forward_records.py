"""backtest: walk_forward_records, a built-in strategy's stored out-of-sample evidence for the
live gate.

Revision ID: 0012_walk_forward_records
Revises: 0011_lab_sessions
Create Date: 2026-12-04 15:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0012_walk_forward_records"
down_revision: str | None = "0011_lab_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "walk_forward_records",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("strategy", sa.String(length=200), nullable=False),
        sa.Column("coin", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("bar_seconds", sa.Integer(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("search", sa.JSON(), nullable=True),
        sa.Column("first_bar", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_bar", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("folds", sa.Integer(), nullable=False),
        sa.Column("candidates", sa.Integer(), nullable=False),
        sa.Column("trials", sa.Integer(), nullable=False),
        sa.Column("candidate_sharpes", sa.JSON(), nullable=True),
        sa.Column("sharpe", sa.Float(), nullable=True),
        sa.Column("deflated_sharpe", sa.Float(), nullable=True),
        sa.Column("oos_trades", sa.Integer(), nullable=False),
        sa.Column("oos_return", sa.Float(), nullable=False),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_walk_forward_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_forward_records")),
    )
    with op.batch_alter_table("walk_forward_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_walk_forward_records_market",
            ["user_id", "strategy", "coin", "quote"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("walk_forward_records", schema=None) as batch_op:
        batch_op.drop_index("ix_walk_forward_records_market")
    op.drop_table("walk_forward_records")
