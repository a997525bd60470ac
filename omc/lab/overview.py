"""Sessions as data for ``omc lab list`` and ``omc lab show``: rows, timeline, calls, costs."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from omc.lab.events import session_events
from omc.lab.records import AgentLLMCall

if TYPE_CHECKING:
    from omc.runtime import Runtime


def _row(row: Any) -> dict[str, Any]:
    from omc.lab.sessions import shown_status

    result = row.result or {}
    return {
        "id": str(row.id),
        "goal": row.goal,
        "status": shown_status(row),
        "provider": row.llm_provider,
        "model": row.llm_model_name,
        "credential_id": str(row.llm_credentials_id) if row.llm_credentials_id else None,
        "as_of": row.as_of.isoformat() if row.as_of else None,
        "created_at": row.created_at.isoformat(),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        "finished_at": row.finished_at.isoformat() if row.finished_at else None,
        "calls_used": row.calls_used,
        "cost_usd": str(row.cost_usd) if row.cost_usd is not None else None,
        "algorithms": result.get("algorithms", []),
        "error": row.error,
        "replay_of": str(row.replay_of) if row.replay_of else None,
    }


def list_sessions(runtime: Runtime, limit: int = 50) -> list[dict[str, Any]]:
    from omc.lab import sessions

    with runtime.session() as db:
        return [_row(row) for row in sessions.recent(db, runtime.user_id(), limit)]


def llm_calls(db: Any, session_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = db.execute(
        sa.select(AgentLLMCall)
        .where(AgentLLMCall.session_id == session_id)
        .order_by(AgentLLMCall.seq)
    ).scalars()
    calls = []
    for row in rows:
        response = (row.response or {}).get("data", {})
        calls.append(
            {
                "seq": row.seq,
                "stage": row.stage,
                "input_tokens": row.input_tokens,
                "output_tokens": row.output_tokens,
                "cost_usd": str(row.cost_usd) if row.cost_usd is not None else None,
                "latency_ms": row.latency_ms,
                "tool_calls": [call.get("name") for call in response.get("tool_calls") or []],
            }
        )
    return calls


def session_detail(runtime: Runtime, reference: str) -> dict[str, Any]:
    """Everything ``omc lab show`` prints: the row, the timeline, calls, totals, report."""
    from omc.lab import sessions

    with runtime.session() as db:
        row = sessions.get(db, reference, runtime.user_id())
        detail = _row(row)
        detail["plan"] = row.plan
        events = session_events(db, row.id)
        calls = llm_calls(db, row.id)
    detail["events"] = events
    detail["llm_calls"] = calls
    detail["tool_calls"] = [e for e in events if e["kind"] in {"tool_call", "tool_error"}]
    detail["totals"] = {
        "llm_calls": len(calls),
        "input_tokens": sum(c["input_tokens"] for c in calls),
        "output_tokens": sum(c["output_tokens"] for c in calls),
        "cost_usd": str(sum((Decimal(c["cost_usd"]) for c in calls if c["cost_usd"]), Decimal(0))),
    }
    detail["report"] = next(
        (e.get("report") for e in reversed(events) if e["kind"] == "report" and e.get("report")),
        None,
    )
    return detail
