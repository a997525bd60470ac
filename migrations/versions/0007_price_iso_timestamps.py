"""price_data_5min.timestamp on SQLite: ISO 8601 text, as fetch_price_data returns it.

``2024-01-01 00:00:00.000000`` becomes ``2024-01-01T00:00:00+00:00`` (microseconds kept only
when not zero, as ``datetime.isoformat`` writes them). The new text sorts in the same order and
no new value equals an old one, so the primary key is rewritten in place without conflicts.
PostgreSQL keeps ``timestamptz``: nothing to do there.

Revision ID: 0007_price_iso_timestamps
Revises: 0006_source_credentials
Create Date: 2026-11-22 20:30:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0007_price_iso_timestamps"
down_revision: str | None = "0006_source_credentials"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TO_ISO = """
UPDATE price_data_5min SET timestamp =
    substr(timestamp, 1, 10) || 'T' || substr(timestamp, 12, 8)
    || CASE WHEN substr(timestamp, 20, 7) IN ('', '.000000') THEN '' ELSE substr(timestamp, 20, 7) END
    || '+00:00'
WHERE substr(timestamp, 11, 1) = ' '
"""

FROM_ISO = """
UPDATE price_data_5min SET timestamp =
    substr(timestamp, 1, 10) || ' ' || substr(timestamp, 12, 8)
    || CASE WHEN substr(timestamp, 20, 1) = '.' THEN substr(timestamp, 20, 7) ELSE '.000000' END
WHERE substr(timestamp, 11, 1) = 'T'
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(TO_ISO)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(FROM_ISO)
