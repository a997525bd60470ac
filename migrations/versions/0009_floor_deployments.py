"""floor: deployments, decisions (one per tick) and the kill switch.

Revision ID: 0009_floor_deployments
Revises: 0008_brokers
Create Date: 2026-12-03 06:28:44.233300
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0009_floor_deployments"
down_revision: str | None = "0008_brokers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deployments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("target", sa.String(length=200), nullable=False),
        sa.Column("target_version", sa.Integer(), nullable=True),
        sa.Column("params", sa.JSON(), nullable=True),
        sa.Column("coin", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=10), nullable=False),
        sa.Column("account", sa.String(length=100), nullable=False),
        sa.Column("bar_seconds", sa.Integer(), nullable=False),
        sa.Column("capital", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("cash", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("units", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("applied_target", sa.Float(), nullable=True),
        sa.Column("limits", sa.JSON(), nullable=True),
        sa.Column("gate", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("halted_until", omc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("peak_equity", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("day_start_equity", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("day_started", sa.Date(), nullable=True),
        sa.Column("last_equity", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("last_tick_at", omc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_bar_at", omc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_deployments_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deployments")),
        sa.UniqueConstraint("user_id", "name", name=op.f("uq_deployments_user_id_name")),
    )
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.create_index("ix_deployments_status", ["status"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("deployment_id", sa.Uuid(), nullable=False),
        sa.Column("bar_time", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("inputs_hash", sa.String(length=64), nullable=False),
        sa.Column("target", sa.Float(), nullable=True),
        sa.Column("price", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("units_before", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("cash_before", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("equity", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("side", sa.String(length=4), nullable=True),
        sa.Column("wanted_value", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("order_value", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("order_units", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("checks", sa.JSON(), nullable=True),
        sa.Column("outcome", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("client_order_id", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.String(length=64), nullable=True),
        sa.Column("filled_units", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("filled_price", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("fee", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_decisions_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
        sa.UniqueConstraint(
            "deployment_id", "bar_time", name=op.f("uq_decisions_deployment_id_bar_time")
        ),
    )
    op.create_table(
        "kill_switches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("deployment_id", sa.Uuid(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(length=150), nullable=False),
        sa.Column("set_at", omc.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_by", sa.String(length=150), nullable=True),
        sa.Column("lifted_at", omc.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("orders_cancelled_at", omc.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["deployment_id"],
            ["deployments.id"],
            name=op.f("fk_kill_switches_deployment_id_deployments"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kill_switches")),
    )
    with op.batch_alter_table("kill_switches", schema=None) as batch_op:
        batch_op.create_index("ix_kill_switches_active", ["active"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("kill_switches", schema=None) as batch_op:
        batch_op.drop_index("ix_kill_switches_active")

    op.drop_table("kill_switches")
    op.drop_table("decisions")
    with op.batch_alter_table("deployments", schema=None) as batch_op:
        batch_op.drop_index("ix_deployments_status")

    op.drop_table("deployments")
