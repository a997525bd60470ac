"""source_credentials: the collectors' API keys, encrypted by the vault.

Revision ID: 0006_source_credentials
Revises: 0005_daemon
Create Date: 2026-11-24 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0006_source_credentials"
down_revision: str | None = "0005_daemon"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "source_credentials",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("encrypted_value", sa.Text(), nullable=True),
        sa.Column("encryption_key_id", sa.String(length=20), nullable=True),
        sa.Column("value_hint", sa.String(length=20), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_source_credentials")),
    )


def downgrade() -> None:
    op.drop_table("source_credentials")
