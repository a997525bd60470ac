"""``omc lab replay ID``: the session again, answered from its recorded LLM responses.

Nothing is sent to a provider and nothing is paid. The replay is a new session (``replay_of``
names the original) that starts from the original's input, gets the person's recorded gate
answers, and runs the same graph: omc's own code (tools, sandbox, fitting) runs again for real.
A request that differs from the recorded one stops the replay (it diverged). The results are
compared by fingerprint: the same feature code, estimator, parameters and metrics.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from omc.db import session_scope
from omc.errors import DataProblem
from omc.lab.context import LabLimits

if TYPE_CHECKING:
    from omc.runtime import Runtime


@dataclass(frozen=True)
class RecordedModel:
    """Stands where the chat model would: there is none, the records answer."""

    provider: str
    model_name: str
    model: None = None


def _initial_state(runtime: Runtime, session_id: uuid.UUID) -> dict[str, Any]:
    from omc.lab.checkpoints import open_checkpointer

    config = {"configurable": {"thread_id": str(session_id)}}
    with open_checkpointer(runtime.engine()) as saver:
        oldest = None
        for checkpoint in saver.list(config):
            values = checkpoint.checkpoint.get("channel_values", {})
            if "goal" in values and "counters" in values:
                oldest = values
        if oldest is None:
            raise DataProblem(f"session {session_id} has no checkpoint to replay from")
    keep = ("goal", "as_of", "coins")
    state = {key: oldest[key] for key in keep if key in oldest}
    from omc.lab.state import new_counters

    return {**state, "features": [], "candidates": [], "algorithms": [], "counters": new_counters()}


def original_state_row(limits: LabLimits) -> dict[str, Any]:
    import dataclasses

    return {"limits": dataclasses.asdict(limits)}


def _results(events: list[dict[str, Any]]) -> dict[str, list[Any]]:
    return {
        "candidates": [
            (e.get("name"), e.get("fingerprint")) for e in events if e["kind"] == "candidate"
        ],
        "accepted": [e.get("fingerprint") for e in events if e["kind"] == "stored"],
        "verdicts": [e.get("decision") for e in events if e["kind"] == "verdict"],
    }


def replay_session(runtime: Runtime, reference: str, *, sink: Any = None) -> dict[str, Any]:
    """Replay a session and say whether it reached the same results."""
    from omc.lab import sessions
    from omc.lab.events import session_events
    from omc.lab.records import AgentLLMCall
    from omc.lab.run import drive

    engine = runtime.engine()
    user_id = runtime.user_id()
    with session_scope(engine) as db:
        original = sessions.get(db, reference, user_id)
        original_id, goal, as_of = original.id, original.goal, original.as_of
        model_name, original_status = original.llm_model_name or "", original.status
        limits = LabLimits(**((original.state or {}).get("limits") or {}))
        events = session_events(db, original_id)
        recorded = db.execute(
            sa.select(sa.func.count()).where(AgentLLMCall.session_id == original_id)
        ).scalar()
    if not recorded:
        raise DataProblem(f"session {original_id} has no recorded LLM calls to replay")
    state = _initial_state(runtime, original_id)
    answers = [e.get("answer") for e in events if e["kind"] == "answer"]

    def recorded_answer(question: dict[str, Any]) -> dict[str, Any] | None:
        return answers.pop(0) if answers else None

    replay_id = uuid.uuid4()
    with session_scope(engine) as db:
        sessions.create(
            db,
            replay_id,
            user_id,
            goal=goal,
            provider="replay",
            model_name=model_name,
            credential_id=None,
            as_of=as_of,
            replay_of=original_id,
            state=original_state_row(limits),
        )
    result = drive(
        runtime,
        replay_id,
        user_id,
        RecordedModel("replay", model_name),
        state,  # type: ignore[arg-type]
        approver=recorded_answer,
        sink=sink,
        limits=limits,
        replay_of=original_id,
    )
    with session_scope(engine) as db:
        replayed = session_events(db, replay_id)
    before, after = _results(events), _results(replayed)
    return {
        "session_id": str(original_id),
        "replay_id": str(replay_id),
        "status": result.status,
        "message": result.message,
        "same": before == after and result.status == original_status,
        "original": before,
        "replay": after,
        "llm_calls_replayed": result.llm_reused,
        "llm_calls_sent": result.llm_sent,
    }
