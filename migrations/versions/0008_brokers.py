"""brokers: accounts on orders/trades/positions, FIFO lots, trading accounts, CoinSpot nonces,
balance differences.

Revision ID: 0008_brokers
Revises: 0007_price_iso_timestamps
Create Date: 2026-12-03 06:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0008_brokers"
down_revision: str | None = "0007_price_iso_timestamps"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _money(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, omc.db.Money(precision=28, scale=10), nullable=nullable)


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.add_column(
            sa.Column("account", sa.String(100), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("amount_type", sa.String(4), nullable=False, server_default="coin")
        )
        batch.add_column(_money("aud_amount"))
        batch.add_column(_money("quoted_rate"))
        batch.add_column(_money("max_slippage"))
        batch.add_column(sa.Column("reference", sa.String(100), nullable=True))
        batch.add_column(sa.Column("owner", sa.String(100), nullable=True))
        batch.add_column(sa.Column("sent_at", omc.db.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("updated_at", omc.db.UTCDateTime(), nullable=True))
        batch.create_index(
            "ix_orders_user_id_mode_account_status", ["user_id", "mode", "account", "status"]
        )

    with op.batch_alter_table("trades", schema=None) as batch:
        batch.add_column(
            sa.Column("account", sa.String(100), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("mode", sa.String(5), nullable=False, server_default="paper"))
        batch.add_column(_money("fee_ex_gst"))
        batch.add_column(_money("gst"))
        batch.add_column(
            sa.Column("fee_source", sa.String(10), nullable=False, server_default="paper")
        )
        batch.create_index(
            "ix_trades_user_id_mode_account_executed_at",
            ["user_id", "mode", "account", "executed_at"],
        )

    with op.batch_alter_table("positions", schema=None) as batch:
        batch.add_column(
            sa.Column("account", sa.String(100), nullable=False, server_default="default")
        )
        batch.add_column(sa.Column("lots", sa.JSON(), nullable=True))
        batch.drop_constraint("uq_positions_user_id_coin_type_quote_mode", type_="unique")
        batch.create_unique_constraint(
            "uq_positions_user_id_mode_account_coin_type_quote",
            ["user_id", "mode", "account", "coin_type", "quote"],
        )

    op.create_table(
        "trading_accounts",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("mode", sa.String(5), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("quote", sa.String(10), nullable=False),
        _money("cash", nullable=False),
        _money("initial_cash", nullable=False),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("reset_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_trading_accounts_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trading_accounts")),
        sa.UniqueConstraint(
            "user_id", "mode", "name", name=op.f("uq_trading_accounts_user_id_mode_name")
        ),
    )
    op.create_table(
        "coinspot_nonces",
        sa.Column("key_fingerprint", sa.String(64), nullable=False),
        sa.Column("last_nonce", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key_fingerprint", name=op.f("pk_coinspot_nonces")),
    )
    op.create_table(
        "balance_differences",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("account", sa.String(100), nullable=False),
        sa.Column("coin_type", sa.String(20), nullable=False),
        _money("recorded", nullable=False),
        _money("reported", nullable=False),
        _money("difference", nullable=False),
        sa.Column("detected_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_balance_differences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_balance_differences")),
    )
    op.create_index(
        "ix_balance_differences_user_id_detected_at",
        "balance_differences",
        ["user_id", "detected_at"],
    )


def downgrade() -> None:
    op.drop_index("ix_balance_differences_user_id_detected_at", table_name="balance_differences")
    op.drop_table("balance_differences")
    op.drop_table("coinspot_nonces")
    op.drop_table("trading_accounts")
    with op.batch_alter_table("positions", schema=None) as batch:
        batch.drop_constraint("uq_positions_user_id_mode_account_coin_type_quote", type_="unique")
        batch.create_unique_constraint(
            "uq_positions_user_id_coin_type_quote_mode", ["user_id", "coin_type", "quote", "mode"]
        )
        batch.drop_column("lots")
        batch.drop_column("account")
    with op.batch_alter_table("trades", schema=None) as batch:
        batch.drop_index("ix_trades_user_id_mode_account_executed_at")
        for name in ("fee_source", "gst", "fee_ex_gst", "mode", "account"):
            batch.drop_column(name)
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.drop_index("ix_orders_user_id_mode_account_status")
        for name in (
            "updated_at",
            "sent_at",
            "owner",
            "reference",
            "max_slippage",
            "quoted_rate",
            "aud_amount",
            "amount_type",
            "status_reason",
            "account",
        ):
            batch.drop_column(name)
