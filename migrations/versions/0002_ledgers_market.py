"""The four ledgers, price_data_5min, orders/trades/positions and collector_runs.

Revision ID: 0002_ledgers
Revises: 0001_core
Create Date: 2026-11-22 17:30:05.451501
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import omc.db

revision: str = "0002_ledgers"
down_revision: str | None = "0001_core"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalyst_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("event_type", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("impact_score", sa.Integer(), nullable=False),
        sa.Column("currencies", omc.db.StringList(), nullable=False),
        sa.Column("published_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalyst_events")),
        sa.UniqueConstraint(
            "source", "external_id", name=op.f("uq_catalyst_events_source_external_id")
        ),
    )
    op.create_index("ix_catalyst_events_published_at", "catalyst_events", ["published_at"])

    op.create_table(
        "collector_runs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("source", sa.String(length=60), nullable=False),
        sa.Column("ledger", sa.String(length=20), nullable=False),
        sa.Column("started_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", omc.db.UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("rows_inserted", sa.Integer(), nullable=False),
        sa.Column("rows_updated", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collector_runs")),
    )
    op.create_index(
        "ix_collector_runs_source_started_at", "collector_runs", ["source", "started_at"]
    )

    op.create_table(
        "news_sentiment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("currencies", omc.db.StringList(), nullable=False),
        sa.Column("published_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_news_sentiment")),
        sa.UniqueConstraint(
            "provider", "external_id", name=op.f("uq_news_sentiment_provider_external_id")
        ),
    )
    op.create_index("ix_news_sentiment_published_at", "news_sentiment", ["published_at"])

    op.create_table(
        "on_chain_metrics",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("asset", sa.String(length=20), nullable=False),
        sa.Column("metric_name", sa.String(length=80), nullable=False),
        sa.Column("metric_value", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("timestamp", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_on_chain_metrics")),
        sa.UniqueConstraint(
            "asset",
            "metric_name",
            "source",
            "timestamp",
            name=op.f("uq_on_chain_metrics_asset_metric_name_source_timestamp"),
        ),
    )
    op.create_table(
        "price_data_5min",
        sa.Column("timestamp", omc.db.UTCDateTime(), nullable=False),
        sa.Column("coin_type", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("bid", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("ask", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("last", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("open", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("high", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("low", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("volume", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        # The natural key is the primary key (no surrogate id, one index); on SQLite the table
        # is clustered on it.
        sa.PrimaryKeyConstraint("coin_type", "timestamp", "quote", name=op.f("pk_price_data_5min")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "protocol_fundamentals",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("protocol", sa.String(length=100), nullable=False),
        sa.Column("chain", sa.String(length=50), nullable=False),
        sa.Column("symbol", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=50), nullable=True),
        sa.Column("tvl_usd", sa.Float(), nullable=True),
        sa.Column("fees_24h_usd", sa.Float(), nullable=True),
        sa.Column("revenue_24h_usd", sa.Float(), nullable=True),
        sa.Column("market_cap_usd", sa.Float(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("timestamp", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_fundamentals")),
        sa.UniqueConstraint(
            "protocol",
            "chain",
            "source",
            "timestamp",
            name=op.f("uq_protocol_fundamentals_protocol_chain_source_timestamp"),
        ),
    )
    op.create_table(
        "smart_money_flow",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("token", sa.String(length=20), nullable=False),
        sa.Column("chain", sa.String(length=50), nullable=False),
        sa.Column("token_address", sa.String(length=100), nullable=True),
        sa.Column("net_flow_usd", sa.Float(), nullable=False),
        sa.Column("buying_wallet_count", sa.Integer(), nullable=False),
        sa.Column("selling_wallet_count", sa.Integer(), nullable=False),
        sa.Column("buying_wallets", omc.db.StringList(), nullable=False),
        sa.Column("selling_wallets", omc.db.StringList(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("timestamp", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_smart_money_flow")),
        sa.UniqueConstraint(
            "token",
            "chain",
            "source",
            "timestamp",
            name=op.f("uq_smart_money_flow_token_chain_source_timestamp"),
        ),
    )
    op.create_index(op.f("ix_smart_money_flow_collected_at"), "smart_money_flow", ["collected_at"])
    op.create_index(op.f("ix_smart_money_flow_token"), "smart_money_flow", ["token"])

    op.create_table(
        "social_sentiment",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("platform", sa.String(length=40), nullable=False),
        sa.Column("external_id", sa.String(length=300), nullable=False),
        sa.Column("community", sa.String(length=100), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comments", sa.Integer(), nullable=False),
        sa.Column("sentiment", sa.String(length=20), nullable=True),
        sa.Column("sentiment_score", sa.Float(), nullable=True),
        sa.Column("currencies", omc.db.StringList(), nullable=False),
        sa.Column("posted_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_social_sentiment")),
        sa.UniqueConstraint(
            "platform", "external_id", name=op.f("uq_social_sentiment_platform_external_id")
        ),
    )
    op.create_index("ix_social_sentiment_posted_at", "social_sentiment", ["posted_at"])

    op.create_table(
        "orders",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("client_order_id", sa.String(length=64), nullable=False),
        sa.Column("exchange_order_id", sa.String(length=64), nullable=True),
        sa.Column("coin_type", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("order_type", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("quantity", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("price", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("filled_quantity", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("average_fill_price", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("fee", omc.db.Money(precision=28, scale=10), nullable=True),
        sa.Column("created_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("filled_at", omc.db.UTCDateTime(), nullable=True),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_orders_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("client_order_id", name=op.f("uq_orders_client_order_id")),
    )
    op.create_index("ix_orders_user_id_created_at", "orders", ["user_id", "created_at"])

    op.create_table(
        "positions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("coin_type", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("mode", sa.String(length=5), nullable=False),
        sa.Column("quantity", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("average_price", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("total_cost", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("realized_pnl", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("updated_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_positions_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positions")),
        sa.UniqueConstraint(
            "user_id",
            "coin_type",
            "quote",
            "mode",
            name=op.f("uq_positions_user_id_coin_type_quote_mode"),
        ),
    )
    op.create_table(
        "trades",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("trade_key", sa.String(length=100), nullable=False),
        sa.Column("coin_type", sa.String(length=20), nullable=False),
        sa.Column("quote", sa.String(length=10), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("quantity", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("price", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("fee", omc.db.Money(precision=28, scale=10), nullable=False),
        sa.Column("fee_currency", sa.String(length=10), nullable=False),
        sa.Column("executed_at", omc.db.UTCDateTime(), nullable=False),
        sa.Column("collected_at", omc.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_trades_order_id_orders"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_trades_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trades")),
        sa.UniqueConstraint("trade_key", name=op.f("uq_trades_trade_key")),
    )


def downgrade() -> None:
    op.drop_table("trades")
    op.drop_table("positions")
    op.drop_index("ix_orders_user_id_created_at", table_name="orders")

    op.drop_table("orders")
    op.drop_index("ix_social_sentiment_posted_at", table_name="social_sentiment")

    op.drop_table("social_sentiment")
    op.drop_index(op.f("ix_smart_money_flow_token"), table_name="smart_money_flow")
    op.drop_index(op.f("ix_smart_money_flow_collected_at"), table_name="smart_money_flow")

    op.drop_table("smart_money_flow")
    op.drop_table("protocol_fundamentals")
    op.drop_table("price_data_5min")
    op.drop_table("on_chain_metrics")
    op.drop_index("ix_news_sentiment_published_at", table_name="news_sentiment")

    op.drop_table("news_sentiment")
    op.drop_index("ix_collector_runs_source_started_at", table_name="collector_runs")

    op.drop_table("collector_runs")
    op.drop_index("ix_catalyst_events_published_at", table_name="catalyst_events")

    op.drop_table("catalyst_events")
