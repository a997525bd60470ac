"""Heartbeats: the daemon registers itself, beats every few seconds, and marks its stop.

The same functions serve the daemon (writing) and ``omc collect status`` (reading), so both
agree on what "alive" means: not stopped, and a heartbeat younger than three beat intervals.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import omc
from omc.daemon.models import DaemonInstance
from omc.db import as_utc, utcnow

TABLE = DaemonInstance.__table__
ALIVE_BEATS = 3


@dataclass(frozen=True)
class Identity:
    """Who this daemon process is."""

    id: uuid.UUID
    role: str
    host: str
    pid: int
    version: str
    started_at: dt.datetime

    @classmethod
    def current(cls, role: str, now: dt.datetime | None = None) -> Identity:
        return cls(
            id=uuid.uuid4(),
            role=role,
            host=socket.gethostname(),
            pid=os.getpid(),
            version=omc.__version__,
            started_at=now or utcnow(),
        )


def register(engine: Engine, me: Identity, summary: str) -> None:
    """Insert this process's row (state ``starting``)."""
    with engine.begin() as connection:
        connection.execute(
            sa.insert(TABLE).values(
                id=me.id,
                role=me.role,
                host=me.host,
                pid=me.pid,
                version=me.version,
                started_at=me.started_at,
                heartbeat_at=me.started_at,
                state="starting",
                summary=summary,
            )
        )


def beat(
    engine: Engine,
    me: Identity,
    state: str,
    summary: str,
    detail: dict[str, Any] | None = None,
    *,
    now: dt.datetime | None = None,
    stopped: bool = False,
) -> None:
    """Update this process's heartbeat, state, one-line summary and per-source detail."""
    now = now or utcnow()
    values: dict[str, Any] = {"heartbeat_at": now, "state": state, "summary": summary}
    if detail is not None:
        values["detail"] = detail
    if stopped:
        values["stopped_at"] = now
    with engine.begin() as connection:
        connection.execute(sa.update(TABLE).where(TABLE.c.id == me.id).values(**values))


def latest(engine: Engine, roles: tuple[str, ...]) -> dict[str, Any] | None:
    """The most recent row of a daemon running any of ``roles``, as a dict (or None)."""
    query = (
        sa.select(TABLE)
        .where(TABLE.c.role.in_(roles))
        .order_by(TABLE.c.heartbeat_at.desc())
        .limit(1)
    )
    with engine.connect() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def liveness(row: dict[str, Any] | None, heartbeat_seconds: float, now: dt.datetime) -> dict:
    """Whether the daemon of ``row`` is alive, with heartbeat age and uptime in seconds."""
    if row is None:
        return {"alive": False, "state": "never started", "heartbeat_age_seconds": None}
    age = (now - as_utc(row["heartbeat_at"])).total_seconds()
    alive = row["stopped_at"] is None and age <= ALIVE_BEATS * heartbeat_seconds
    state = row["state"] if alive or row["stopped_at"] is not None else "not responding"
    return {
        "alive": alive,
        "state": state,
        "heartbeat_age_seconds": round(age, 1),
        "uptime_seconds": round((now - as_utc(row["started_at"])).total_seconds())
        if alive
        else None,
    }
