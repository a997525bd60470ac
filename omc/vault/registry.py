"""Every column that holds vault ciphertext, so status, rotation and checks can find them all.

Described with lightweight SQLAlchemy Core constructs, so the vault needs no domain's models.
A domain that stores a secret adds its column here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa


@dataclass(frozen=True)
class SecretColumn:
    """A table's id column, ciphertext column (NULL once purged) and key-id column."""

    table_name: str
    ciphertext: str
    key_id: str
    id: str = "id"

    @property
    def table(self) -> sa.TableClause:
        return sa.table(
            self.table_name, sa.column(self.id), sa.column(self.ciphertext), sa.column(self.key_id)
        )


SECRET_COLUMNS: tuple[SecretColumn, ...] = (
    SecretColumn("user_llm_credentials", "encrypted_api_key", "encryption_key_id"),
    SecretColumn("coinspot_credentials", "encrypted_secret", "encryption_key_id"),
    SecretColumn("source_credentials", "encrypted_value", "encryption_key_id", id="name"),
)
