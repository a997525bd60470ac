"""listed_coins: the coin lists the exchange-listing detector has seen.

Revision ID: 0004_ledger_sources
Revises: 0003_vault_llm
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0004_ledger_sources"
down_revision: str | None = "0003_vault_llm"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "listed_coins",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("exchange", sa.String(length=40), nullable=False),
        sa.Column("coin", sa.String(length=40), nullable=False),
        sa.Column("first_seen_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_listed_coins")),
        sa.UniqueConstraint("exchange", "coin", name=op.f("uq_listed_coins_exchange_coin")),
    )


def downgrade() -> None:
    op.drop_table("listed_coins")
