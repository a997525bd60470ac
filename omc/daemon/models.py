"""The ``daemon_instances`` table: one row per daemon process, its heartbeat and its state.

The daemon writes it; ``omc collect status`` and ``omc status`` read it. A row whose
``heartbeat_at`` is recent and ``stopped_at`` empty is a live daemon.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from omc.db import UTCDateTime, new_id

DAEMON_STATES = ("starting", "running", "reloading", "stopping", "stopped", "failed")


class DaemonInstance(SQLModel, table=True):
    """A daemon process: role, where it runs, when it started and last said it was alive."""

    __tablename__ = "daemon_instances"
    __table_args__ = (sa.Index("ix_daemon_instances_role_heartbeat_at", "role", "heartbeat_at"),)

    id: uuid.UUID = Field(default_factory=new_id, sa_column=sa.Column(sa.Uuid(), primary_key=True))
    role: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    host: str = Field(sa_column=sa.Column(sa.String(255), nullable=False))
    pid: int = Field(nullable=False)
    version: str = Field(sa_column=sa.Column(sa.String(40), nullable=False))
    started_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    heartbeat_at: dt.datetime = Field(sa_column=sa.Column(UTCDateTime(), nullable=False))
    stopped_at: dt.datetime | None = Field(
        default=None, sa_column=sa.Column(UTCDateTime(), nullable=True)
    )
    state: str = Field(sa_column=sa.Column(sa.String(20), nullable=False))
    summary: str | None = Field(default=None, sa_column=sa.Column(sa.Text(), nullable=True))
    detail: dict[str, Any] | None = Field(default=None, sa_column=sa.Column(sa.JSON()))
