"""daemon_instances: the daemon's heartbeat, pid/host/version and state.

Revision ID: 0005_daemon
Revises: 0004_ledger_sources
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0005_daemon"
down_revision: str | None = "0004_ledger_sources"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "daemon_instances",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("started_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("stopped_at", omc.db.UTCDateTime(), nullable=True),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_daemon_instances")),
    )
    op.create_index(
        "ix_daemon_instances_role_heartbeat_at", "daemon_instances", ["role", "heartbeat_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_daemon_instances_role_heartbeat_at", table_name="daemon_instances")
    op.drop_table("daemon_instances")
