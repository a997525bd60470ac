"""Every table omc owns, gathered on one metadata for Alembic and for schema checks.

A new domain adds its ``models`` module to the import list below and a migration in
``migrations/versions/``; ``tests/test_migrations.py`` then fails until the two agree.
"""

from __future__ import annotations

from sqlmodel import SQLModel

import omc.backtest.records  # registers walk_forward_records
import omc.core.models  # registers users, audit_log
import omc.daemon.models  # registers daemon_instances
import omc.floor.models
import omc.floor.trading.models
import omc.lab.models  # registers agent_sessions, algorithms, agent_artifacts
import omc.lab.records  # registers agent_events, agent_llm_calls
import omc.ledgers  # registers the four ledgers and collector_runs
import omc.llm.models
import omc.vault.models  # noqa: F401  (registers vault_keys)

metadata = SQLModel.metadata
