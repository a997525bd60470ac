"""Idempotent bulk writes: ``INSERT … ON CONFLICT (key) DO UPDATE`` on SQLite and PostgreSQL.

Every ledger write goes through :func:`upsert`, so running a collection twice, or again after a
crash, never duplicates a row. A conflicting row is only rewritten when one of its values
actually changes (``collected_at`` alone does not count), so re-running an unchanged collection
reports zero updates and leaves ``collected_at`` at the time omc first learned the value.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

# An update rule builds the new value from the current row (``table``) and the proposed row
# (``excluded``); ``dialect`` is "sqlite" or "postgresql".
UpdateRule = Callable[[sa.Table, Any, str], sa.ColumnElement[Any]]
IGNORED_FOR_CHANGE = ("collected_at",)
MAX_PARAMETERS = 30_000  # below SQLite's 32,766 and PostgreSQL's 65,535 bind parameters


@dataclass
class UpsertCount:
    """Rows newly inserted and existing rows whose values changed."""

    inserted: int = 0
    updated: int = 0

    def __add__(self, other: UpsertCount) -> UpsertCount:
        return UpsertCount(self.inserted + other.inserted, self.updated + other.updated)


def take_new(column: str) -> UpdateRule:
    """The proposed value replaces the stored one (the default)."""
    return lambda table, excluded, dialect: excluded[column]


def keep_existing(column: str) -> UpdateRule:
    """The stored value stays unless it is empty (a bar's ``open``)."""
    return lambda table, excluded, dialect: sa.func.coalesce(table.c[column], excluded[column])


def keep_max(column: str) -> UpdateRule:
    """The larger of stored and proposed, ignoring empties (a bar's ``high``)."""

    def rule(table: sa.Table, excluded: Any, dialect: str) -> sa.ColumnElement[Any]:
        current, new = table.c[column], excluded[column]
        if dialect == "postgresql":
            return sa.func.greatest(current, new)
        return sa.func.max(sa.func.coalesce(current, new), sa.func.coalesce(new, current))

    return rule


def keep_min(column: str) -> UpdateRule:
    """The smaller of stored and proposed, ignoring empties (a bar's ``low``)."""

    def rule(table: sa.Table, excluded: Any, dialect: str) -> sa.ColumnElement[Any]:
        current, new = table.c[column], excluded[column]
        if dialect == "postgresql":
            return sa.func.least(current, new)
        return sa.func.min(sa.func.coalesce(current, new), sa.func.coalesce(new, current))

    return rule


def dialect_insert(connection: Connection, table: sa.Table) -> Any:
    """The dialect's ``insert`` construct, which knows ``on_conflict_do_update``."""
    name = connection.dialect.name
    if name == "postgresql":
        return postgresql.insert(table)
    if name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert does not support the {name} dialect")


def _rules(
    table: sa.Table, keys: Sequence[str], update: Sequence[str] | Mapping[str, UpdateRule] | None
) -> dict[str, UpdateRule]:
    if isinstance(update, Mapping):
        return dict(update)
    names = (
        update
        if update is not None
        else [
            column.name
            for column in table.columns
            if column.name not in keys and not column.primary_key
        ]
    )
    return {name: take_new(name) for name in names}


def upsert(
    connection: Connection,
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    *,
    keys: Sequence[str],
    update: Sequence[str] | Mapping[str, UpdateRule] | None = None,
) -> UpsertCount:
    """Insert ``rows`` or update the rows with the same natural ``keys``; return the counts.

    ``update`` names the columns to overwrite (default: every non-key column) or maps columns to
    rules (:func:`keep_max`, …). Of rows repeating a key, the last wins. Runs inside the
    caller's transaction; the caller commits.
    """
    rows = list({tuple(row[name] for name in keys): row for row in rows}.values())
    if not rows:
        return UpsertCount()
    dialect = connection.dialect.name
    rules = _rules(table, keys, update)
    key_columns = [table.c[name] for name in keys]
    per_row = max(len(rows[0]), 1)
    chunk = max(1, MAX_PARAMETERS // per_row)
    total = UpsertCount()
    for start in range(0, len(rows), chunk):
        total += _upsert_chunk(
            connection, table, rows[start : start + chunk], key_columns, rules, dialect
        )
    return total


def _upsert_chunk(
    connection: Connection,
    table: sa.Table,
    rows: list[Mapping[str, Any]],
    key_columns: list[sa.Column[Any]],
    rules: dict[str, UpdateRule],
    dialect: str,
) -> UpsertCount:
    wanted = {tuple(row[column.name] for column in key_columns) for row in rows}
    existing_query = sa.select(*key_columns).where(sa.tuple_(*key_columns).in_(list(wanted)))
    existing = {tuple(found) for found in connection.execute(existing_query)}

    statement = dialect_insert(connection, table).values(rows)
    excluded = statement.excluded
    new_values = {name: rule(table, excluded, dialect) for name, rule in rules.items()}
    changed = [
        table.c[name].is_distinct_from(value)
        for name, value in new_values.items()
        if name not in IGNORED_FOR_CHANGE
    ]
    if new_values:
        statement = statement.on_conflict_do_update(
            index_elements=key_columns,
            set_=new_values,
            where=sa.or_(*changed) if changed else None,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=key_columns)
    written = {tuple(found) for found in connection.execute(statement.returning(*key_columns))}
    return UpsertCount(inserted=len(written - existing), updated=len(written & existing))
