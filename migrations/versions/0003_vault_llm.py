"""The vault and bring-your-own-model: vault_keys, user_llm_credentials, coinspot_credentials,
llm_usage, llm_validation_attempts and llm_session_budgets.

Revision ID: 0003_vault_llm
Revises: 0002_ledgers
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0003_vault_llm"
down_revision: str | None = "0002_ledgers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "vault_keys",
        sa.Column("key_id", sa.String(length=20), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("retired_at", omc.db.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("key_id", name=op.f("pk_vault_keys")),
        sa.UniqueConstraint("version", name=op.f("uq_vault_keys_version")),
    )
    op.create_table(
        "coinspot_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("encrypted_secret", sa.Text(), nullable=True),
        sa.Column("encryption_key_id", sa.String(length=20), nullable=True),
        sa.Column("key_hint", sa.String(length=20), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_coinspot_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coinspot_credentials")),
        sa.UniqueConstraint("user_id", name=op.f("uq_coinspot_credentials_user_id")),
    )
    op.create_table(
        "llm_session_budgets",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("call_limit", sa.Integer(), nullable=False),
        sa.Column("calls_used", sa.Integer(), nullable=False),
        sa.Column("cost_limit_usd", omc.db.Money(), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_llm_session_budgets_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_llm_session_budgets")),
    )
    op.create_table(
        "llm_validation_attempts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("attempted_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_llm_validation_attempts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_validation_attempts")),
    )
    op.create_index(
        "ix_llm_validation_attempts_user_id_attempted_at",
        "llm_validation_attempts",
        ["user_id", "attempted_at"],
    )
    op.create_table(
        "user_llm_credentials",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("base_url", sa.String(length=500), nullable=True),
        sa.Column("encrypted_api_key", sa.Text(), nullable=True),
        sa.Column("encryption_key_id", sa.String(length=20), nullable=True),
        sa.Column("key_hint", sa.String(length=20), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", omc.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_user_llm_credentials_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_llm_credentials")),
    )
    op.create_index(
        "ix_user_llm_credentials_user_id_is_active",
        "user_llm_credentials",
        ["user_id", "is_active"],
    )
    op.create_table(
        "llm_usage",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=True),
        sa.Column("credential_id", sa.Uuid(), nullable=True),
        sa.Column("provider", sa.String(length=30), nullable=False),
        sa.Column("model_name", sa.String(length=100), nullable=False),
        sa.Column("input_tokens", sa.Integer(), nullable=False),
        sa.Column("output_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", omc.db.Money(), nullable=True),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["user_llm_credentials.id"],
            name=op.f("fk_llm_usage_credential_id_user_llm_credentials"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_llm_usage_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_llm_usage")),
    )
    op.create_index("ix_llm_usage_session_id", "llm_usage", ["session_id"])
    op.create_index("ix_llm_usage_user_id_occurred_at", "llm_usage", ["user_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_llm_usage_user_id_occurred_at", table_name="llm_usage")
    op.drop_index("ix_llm_usage_session_id", table_name="llm_usage")
    op.drop_table("llm_usage")
    op.drop_index("ix_user_llm_credentials_user_id_is_active", table_name="user_llm_credentials")
    op.drop_table("user_llm_credentials")
    op.drop_index(
        "ix_llm_validation_attempts_user_id_attempted_at", table_name="llm_validation_attempts"
    )
    op.drop_table("llm_validation_attempts")
    op.drop_table("llm_session_budgets")
    op.drop_table("coinspot_credentials")
    op.drop_table("vault_keys")
