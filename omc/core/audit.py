"""Append-only audit records: who did what, when, with what context (never a secret)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sqlalchemy.orm import Session
from sqlmodel import select

from omc.core.models import AuditLog


def record(
    session: Session,
    action: str,
    *,
    user_id: uuid.UUID | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    occurred_at: dt.datetime | None = None,
) -> AuditLog:
    """Add one audit row to the session's transaction (it commits with the work it records)."""
    entry = AuditLog(action=action, user_id=user_id, target=target, detail=detail)
    if occurred_at is not None:
        entry.occurred_at = occurred_at
    session.add(entry)
    session.flush()
    return entry


def recent(
    session: Session, *, user_id: uuid.UUID | None = None, limit: int = 50
) -> list[AuditLog]:
    """The newest audit rows first, optionally for one user."""
    query = select(AuditLog).order_by(AuditLog.occurred_at.desc(), AuditLog.id.desc())
    if user_id is not None:
        query = query.where(AuditLog.user_id == user_id)
    return list(session.exec(query.limit(limit)))
