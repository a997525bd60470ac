"""A session's numbered events: written once each (a stage that runs again writes nothing new)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from omc.db import session_scope, utcnow
from omc.lab.records import AgentEvent

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session


def record_event(
    engine: Engine, session_id: uuid.UUID, seq: int, stage: str, kind: str, data: dict[str, Any]
) -> dict[str, Any] | None:
    """Write event ``seq`` unless it exists; returns the event written, or None."""
    with session_scope(engine) as session:
        exists = session.execute(
            sa.select(AgentEvent.id).where(
                AgentEvent.session_id == session_id, AgentEvent.seq == seq
            )
        ).first()
        if exists is not None:
            return None
        event = AgentEvent(
            session_id=session_id, seq=seq, occurred_at=utcnow(), stage=stage, kind=kind, data=data
        )
        session.add(event)
        return event_dict(event)


def event_dict(event: AgentEvent) -> dict[str, Any]:
    return {
        "session_id": str(event.session_id),
        "seq": event.seq,
        "at": event.occurred_at.isoformat(),
        "stage": event.stage,
        "kind": event.kind,
        **(event.data or {}),
    }


def session_events(session: Session, session_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = session.execute(
        sa.select(AgentEvent).where(AgentEvent.session_id == session_id).order_by(AgentEvent.seq)
    ).scalars()
    return [event_dict(row) for row in rows]
