"""Reading and writing ``agent_sessions`` rows (the only module that does)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from omc.db import utcnow
from omc.errors import NotFound, UsageProblem
from omc.lab.models import AgentSession

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def create(
    db: Session,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    goal: str,
    provider: str,
    model_name: str,
    credential_id: uuid.UUID | None,
    as_of: dt.datetime,
    replay_of: uuid.UUID | None = None,
    state: dict[str, Any] | None = None,
) -> AgentSession:
    row = AgentSession(
        id=session_id,
        user_id=user_id,
        goal=goal,
        status="running",
        kind="agents" if replay_of is None else "replay",
        llm_provider=provider,
        llm_model_name=model_name,
        llm_credentials_id=credential_id,
        as_of=as_of,
        replay_of=replay_of,
        state=state,
    )
    db.add(row)
    db.flush()
    return row


def get(db: Session, reference: uuid.UUID | str, user_id: uuid.UUID) -> AgentSession:
    """The user's session by id or by a unique prefix of its hex id."""
    if isinstance(reference, uuid.UUID):
        row = db.get(AgentSession, reference)
        if row is None or row.user_id != user_id:
            raise NotFound(f"no lab session {reference}")
        return row
    text = reference.strip().lower().replace("-", "")
    if not text or any(ch not in "0123456789abcdef" for ch in text):
        raise UsageProblem(f"not a session id: {reference!r}")
    if len(text) == 32:
        return get(db, uuid.UUID(text), user_id)
    rows = [
        row
        for row in db.execute(
            sa.select(AgentSession).where(AgentSession.user_id == user_id)
        ).scalars()
        if row.id.hex.startswith(text)
    ]
    if not rows:
        raise NotFound(f"no lab session {reference}")
    if len(rows) > 1:
        raise UsageProblem(f"{reference!r} matches {len(rows)} sessions; give more of the id")
    return rows[0]


def recent(db: Session, user_id: uuid.UUID, limit: int = 50) -> list[AgentSession]:
    return list(
        db.execute(
            sa.select(AgentSession)
            .where(AgentSession.user_id == user_id)
            .order_by(AgentSession.created_at.desc())
            .limit(limit)
        ).scalars()
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def shown_status(row: AgentSession) -> str:
    """The status, with a ``running`` session whose process is gone shown as ``interrupted``."""
    if row.status == "running" and row.worker_pid is not None:
        gone = row.worker_host == socket.gethostname() and not _alive(row.worker_pid)
        if gone:
            return "interrupted"
    return row.status


def check_not_running(row: AgentSession) -> None:
    """Refuse when another live process on this host is working on the session."""
    if row.status != "running" or row.worker_pid is None:
        return
    here = row.worker_host == socket.gethostname() and row.worker_pid != os.getpid()
    if here and _alive(row.worker_pid):
        from omc.lab.run import SessionBusy

        raise SessionBusy(f"session {row.id} is running in process {row.worker_pid}")


def mark_running(db: Session, session_id: uuid.UUID, *, pid: int, host: str) -> None:
    row = db.get(AgentSession, session_id)
    if row is None:
        raise NotFound(f"no lab session {session_id}")
    row.status = "running"
    row.worker_pid = pid
    row.worker_host = host
    row.error = None
    row.updated_at = utcnow()


def _record_usage(db: Session, row: AgentSession) -> None:
    """Budget used so far: calls, tokens and cost, from the session's recorded calls."""
    from omc.lab.records import AgentLLMCall

    input_tokens, output_tokens, cost = db.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(AgentLLMCall.input_tokens), 0),
            sa.func.coalesce(sa.func.sum(AgentLLMCall.output_tokens), 0),
            sa.func.sum(AgentLLMCall.cost_usd),
        ).where(AgentLLMCall.session_id == row.id)
    ).one()
    from omc.llm.models import LLMSessionBudget

    budget = db.get(LLMSessionBudget, row.id)
    row.calls_used = budget.calls_used if budget is not None else 0
    row.input_tokens = int(input_tokens)
    row.output_tokens = int(output_tokens)
    row.cost_usd = Decimal(str(cost)) if cost is not None else Decimal(0)


def mark_stopped(
    db: Session,
    session_id: uuid.UUID,
    status: str,
    values: dict[str, Any],
    *,
    error: str | None = None,
) -> None:
    row = db.get(AgentSession, session_id)
    if row is None:
        raise NotFound(f"no lab session {session_id}")
    now = utcnow()
    row.status = status
    row.updated_at = now
    row.error = error
    row.worker_pid = None
    if values.get("plan"):
        row.plan = values["plan"]
    row.result = {
        "outcome": values.get("outcome"),
        "algorithms": list(values.get("algorithms") or []),
        "candidates": len(values.get("candidates") or []),
    }
    _record_usage(db, row)
    if status in {"completed", "refused", "cancelled", "limit_reached"}:
        row.finished_at = now


def set_status(db: Session, session_id: uuid.UUID, status: str) -> None:
    row = db.get(AgentSession, session_id)
    if row is None:
        raise NotFound(f"no lab session {session_id}")
    row.status = status
    row.updated_at = utcnow()
    if status in {"completed", "refused", "cancelled", "limit_reached"}:
        row.finished_at = row.updated_at
