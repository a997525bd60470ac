"""What ``omc lab run/resume/replay/cancel`` call: a session driven through the graph.

A session is a row in ``agent_sessions`` (goal, status, plan, budget used, the model it uses)
and a LangGraph thread of the same id in the checkpointer. :func:`drive` runs the graph until it
ends, needs a person (an interrupt), or fails; every way out leaves a clear status:

``completed``, ``refused``, ``cancelled``, ``limit_reached`` (ended); ``waiting`` (an interrupt
and no one to answer it), ``paused`` (Ctrl-C), ``budget_exhausted``, ``failed`` (resumable with
``omc lab resume ID``). ``running`` while a process works on it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from omc.db import session_scope, utcnow
from omc.errors import OmcError, UsageProblem
from omc.lab.context import LabContext, LabLimits
from omc.lab.state import LabState, new_counters

if TYPE_CHECKING:
    from omc.runtime import Runtime

Approver = Callable[[dict[str, Any]], "dict[str, Any] | None"]
Sink = Callable[[dict[str, Any]], None]

ENDED = {"completed", "refused", "cancelled", "limit_reached"}
RESUMABLE = {"waiting", "paused", "budget_exhausted", "failed", "running"}


class SessionBusy(OmcError):
    """Another process is working on the session."""

    exit_code = 75


@dataclass
class RunRequest:
    """What ``omc lab run`` was asked for."""

    goal: str
    coins: list[str] = field(default_factory=list)
    model: str | None = None
    as_of: dt.datetime | None = None
    budget_usd: Decimal | None = None
    max_calls: int | None = None
    limits: LabLimits | None = None  # None: the default bounds, the [lab] validation bar


@dataclass
class SessionResult:
    """Where a session stands when ``drive`` returns."""

    session_id: uuid.UUID
    status: str
    message: str = ""
    algorithms: list[str] = field(default_factory=list)
    report: str | None = None
    question: dict[str, Any] | None = None  # the pending interrupt, when waiting
    exit_code: int = 0
    llm_sent: int = 0
    llm_reused: int = 0
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def resume_command(self) -> str:
        return f"omc lab resume {self.session_id}"


def approve_all(question: dict[str, Any]) -> dict[str, Any]:
    """The ``--yes`` approver."""
    return {"action": "approve"}


def nobody(question: dict[str, Any]) -> None:
    """No terminal and no ``--yes``: stop at the first gate (status ``waiting``)."""
    return None


def _parse_as_of(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return utcnow().replace(microsecond=0)
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _model_for(runtime: Runtime, user_id: uuid.UUID, session_id: uuid.UUID, credential: Any) -> Any:
    from omc.lab.llm import choose_chat_model

    with runtime.session() as db:
        return choose_chat_model(
            db,
            user_id,
            credential,
            settings=runtime.settings,
            vault=runtime.vault,
            engine=runtime.engine(),
            session_id=session_id,
        )


def start_session(
    runtime: Runtime,
    request: RunRequest,
    *,
    approver: Approver = nobody,
    sink: Sink | None = None,
) -> SessionResult:
    """Create a session and drive it; with no model at all, run the recipe instead."""
    from omc.lab import sessions
    from omc.lab.llm import NoModelConfigured
    from omc.llm.budget import open_budget

    if not request.goal.strip():
        raise UsageProblem('give the lab a goal, e.g. omc lab run "find a BTC strategy"')
    engine = runtime.engine()
    user_id = runtime.user_id()
    session_id = uuid.uuid4()
    try:
        choice = _model_for(runtime, user_id, session_id, request.model)
    except NoModelConfigured as error:
        return run_recipe_instead(runtime, request, str(error), sink=sink)
    as_of = _parse_as_of(request.as_of)
    limits = request.limits or LabLimits.from_settings(runtime.settings.lab)
    llm_settings = runtime.settings.llm
    with session_scope(engine) as db:
        sessions.create(
            db,
            session_id,
            user_id,
            goal=request.goal,
            provider=choice.provider,
            model_name=choice.model_name,
            credential_id=choice.credential_id,
            as_of=as_of,
            state={"limits": dataclasses.asdict(limits)},
        )
        open_budget(
            db,
            session_id,
            user_id,
            call_limit=request.max_calls or llm_settings.session_call_limit,
            cost_limit_usd=request.budget_usd
            if request.budget_usd is not None
            else llm_settings.session_cost_limit_usd,
        )
    state: LabState = {
        "goal": request.goal,
        "as_of": as_of.isoformat(),
        "coins": [coin.upper() for coin in request.coins],
        "features": [],
        "candidates": [],
        "algorithms": [],
        "counters": new_counters(),
    }
    return drive(
        runtime, session_id, user_id, choice, state, approver=approver, sink=sink,
        limits=limits,
    )  # fmt: skip


def resume_session(
    runtime: Runtime,
    session_id: uuid.UUID | str,
    *,
    approver: Approver = nobody,
    sink: Sink | None = None,
    max_calls: int | None = None,
    budget_usd: Decimal | None = None,
    limits: LabLimits | None = None,
) -> SessionResult:
    """Continue a session from its last checkpoint (new limits, if given, first)."""
    from omc.lab import sessions
    from omc.llm.budget import set_limits

    engine = runtime.engine()
    user_id = runtime.user_id()
    with session_scope(engine) as db:
        row = sessions.get(db, session_id, user_id)
        sid, status, credential = row.id, row.status, row.llm_credentials_id
        kept = LabLimits(**((row.state or {}).get("limits") or {}))
        if status in ENDED:
            raise UsageProblem(f"session {sid} has ended ({status}); nothing to resume")
        sessions.check_not_running(row)
        if max_calls is not None or budget_usd is not None:
            set_limits(db, sid, call_limit=max_calls, cost_limit_usd=budget_usd)
    choice = _model_for(runtime, user_id, sid, credential)
    return drive(
        runtime, sid, user_id, choice, None, approver=approver, sink=sink,
        limits=limits or kept,
    )  # fmt: skip


def drive(
    runtime: Runtime,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    choice: Any,
    state: LabState | None,
    *,
    approver: Approver,
    sink: Sink | None,
    limits: LabLimits,
    replay_of: uuid.UUID | None = None,
) -> SessionResult:
    """Run the graph of ``session_id`` until it ends, waits, pauses or fails."""
    from langgraph.types import Command

    from omc.lab import sessions
    from omc.lab.calls import LabLLM
    from omc.lab.checkpoints import open_checkpointer
    from omc.lab.graph import build_graph
    from omc.llm.budget import BudgetExceeded

    engine = runtime.engine()
    llm = LabLLM(
        engine,
        session_id,
        getattr(choice, "model", None),
        provider=choice.provider,
        model_name=choice.model_name,
        replay_of=replay_of,
    )
    context = LabContext(
        engine=engine,
        session_id=session_id,
        user_id=user_id,
        llm=llm,
        as_of=utcnow(),
        limits=limits,
        sink=sink,
        persist=replay_of is None,
    )
    config = {"configurable": {"thread_id": str(session_id)}, "recursion_limit": 1000}
    with session_scope(engine) as db:
        sessions.mark_running(db, session_id, pid=os.getpid(), host=socket.gethostname())
    payload: Any = state
    with open_checkpointer(engine) as saver:
        graph = build_graph(context, saver)
        if state is None:
            pending = graph.get_state(config)
            if pending.interrupts:
                answer = approver(pending.interrupts[0].value)
                if answer is None:
                    return _finish(runtime, session_id, llm, "waiting", pending.values,
                                   question=pending.interrupts[0].value)  # fmt: skip
                payload = Command(resume=answer)
        while True:
            try:
                for _ in graph.stream(payload, config, stream_mode="updates"):
                    pass
            except BudgetExceeded as error:
                return _finish(runtime, session_id, llm, "budget_exhausted",
                               graph.get_state(config).values, message=str(error),
                               exit_code=error.exit_code)  # fmt: skip
            except KeyboardInterrupt:
                return _finish(runtime, session_id, llm, "paused",
                               graph.get_state(config).values,
                               message="paused; nothing was lost", exit_code=130)  # fmt: skip
            except OmcError as error:
                return _finish(runtime, session_id, llm, "failed",
                               graph.get_state(config).values, message=str(error),
                               exit_code=error.exit_code)  # fmt: skip
            snapshot = graph.get_state(config)
            if snapshot.interrupts:
                question = snapshot.interrupts[0].value
                answer = approver(question)
                if answer is None:
                    return _finish(runtime, session_id, llm, "waiting", snapshot.values,
                                   question=question)  # fmt: skip
                payload = Command(resume=answer)
                continue
            values = snapshot.values
            return _finish(runtime, session_id, llm, values.get("outcome") or "completed", values)


def _finish(
    runtime: Runtime,
    session_id: uuid.UUID,
    llm: Any,
    status: str,
    values: dict[str, Any],
    *,
    message: str = "",
    question: dict[str, Any] | None = None,
    exit_code: int = 0,
) -> SessionResult:
    from omc.lab import sessions

    with session_scope(runtime.engine()) as db:
        sessions.mark_stopped(db, session_id, status, values, error=message or None)
    if status == "waiting":
        exit_code = 75
    return SessionResult(
        session_id=session_id,
        status=status,
        message=message,
        algorithms=list(values.get("algorithms") or []),
        report=values.get("report"),
        question=question,
        exit_code=exit_code,
        llm_sent=llm.sent,
        llm_reused=llm.reused,
    )


def cancel_session(runtime: Runtime, session_id: uuid.UUID | str) -> str:
    """Mark a session cancelled (its checkpoints stay for ``show``); returns its old status."""
    from omc.lab import sessions

    with runtime.session() as db:
        row = sessions.get(db, session_id, runtime.user_id())
        previous = row.status
        if previous in ENDED:
            raise UsageProblem(f"session {row.id} has already ended ({previous})")
        sessions.check_not_running(row)
        sessions.set_status(db, row.id, "cancelled")
    return previous


def run_recipe_instead(
    runtime: Runtime, request: RunRequest, reason: str, *, sink: Sink | None
) -> SessionResult:
    """No model is configured: say so, and run the LLM-free recipe on the same goal."""
    from omc.lab.research import run_recipe

    if sink is not None:
        sink({"kind": "no_model", "message": reason + "; running the built-in recipe instead"})
    return run_recipe(runtime, request, sink=sink)
