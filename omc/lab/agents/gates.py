"""Where a person decides: the plan, training, and storing an algorithm as ``validated``.

Each gate is its own graph node around LangGraph's ``interrupt()``: on resume the node runs again
from its start, so nothing before the interrupt may cost anything. The answer is a dict:
``{"action": "approve"}``, ``{"action": "cancel"}``, or for the plan ``{"action": "edit",
"coins": [...], "horizon_bars": 4, "as_of": "2025-06-01"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import LabState

EDITABLE = ("coins", "horizon_bars", "as_of", "bar_size")


def _ask(context: LabContext, question: dict[str, Any]) -> dict[str, Any]:
    from langgraph.types import interrupt

    context.emit("waiting", gate=question["gate"])
    answer = interrupt(question)
    if not isinstance(answer, dict) or answer.get("action") not in {"approve", "edit", "cancel"}:
        answer = {"action": "cancel", "reason": f"unrecognised answer {answer!r}"}
    context.emit("answer", gate=question["gate"], answer=answer)
    return answer


def _cancelled(context: LabContext, gate: str) -> dict[str, Any]:
    context.emit("cancelled", gate=gate)
    return {"outcome": "cancelled"}


def _edited(plan: dict[str, Any], answer: dict[str, Any], session_as_of: str) -> dict[str, Any]:
    plan = dict(plan)
    if answer.get("coins"):
        plan["coins"] = sorted({str(coin).strip().upper() for coin in answer["coins"]})
    if answer.get("horizon_bars"):
        plan["horizon_bars"] = max(1, int(answer["horizon_bars"]))
    if answer.get("bar_size"):
        plan["bar_size"] = str(answer["bar_size"])
    if answer.get("as_of"):
        cutoff = dt.datetime.fromisoformat(str(answer["as_of"]).replace("Z", "+00:00"))
        cutoff = cutoff if cutoff.tzinfo else cutoff.replace(tzinfo=dt.UTC)
        plan["as_of"] = min(cutoff, dt.datetime.fromisoformat(session_as_of)).isoformat()
    return plan


def plan_gate(context: LabContext, state: LabState) -> dict[str, Any]:
    plan = state["plan"] or {}
    answer = _ask(context, {"gate": "plan", "plan": plan, "editable": list(EDITABLE)})
    if answer["action"] == "cancel":
        return _cancelled(context, "plan")
    if answer["action"] == "edit":
        plan = _edited(plan, answer, state["as_of"])
        context.emit("plan", plan=plan, edited=True)
    return {"plan": plan, "as_of": plan.get("as_of", state["as_of"])}


def _budget_left(context: LabContext) -> dict[str, Any]:
    from omc.db import session_scope
    from omc.errors import NotFound
    from omc.llm.budget import budget_state

    with session_scope(context.engine) as session:
        try:
            budget = budget_state(session, context.session_id)
        except NotFound:
            return {}
    left: dict[str, Any] = {"calls_left": budget.calls_left, "cost_usd": str(budget.cost_usd)}
    if budget.cost_limit_usd is not None:
        left["cost_left_usd"] = str(max(budget.cost_limit_usd - budget.cost_usd, 0))
    return left


def training_gate(context: LabContext, state: LabState) -> dict[str, Any]:
    from omc.lab.research import estimated_fits

    choice = state.get("training") or {}
    question = {
        "gate": "training",
        "estimators": [item["estimator"] for item in choice.get("estimators", [])],
        "estimated_fits": estimated_fits(state),
        "budget": _budget_left(context),
    }
    answer = _ask(context, question)
    if answer["action"] == "cancel":
        return _cancelled(context, "training")
    return {}


def validation_gate(context: LabContext, state: LabState) -> dict[str, Any]:
    from omc.lab.research import mark_validated

    pending = [c for c in state.get("candidates", []) if c.get("qualifies") and c.get("algorithm")]
    if not pending:
        return {}
    best = pending[-1]
    answer = _ask(
        context,
        {
            "gate": "validation",
            "algorithm": best["algorithm"],
            "evaluation": best.get("evaluation", {}),
        },
    )
    if answer["action"] != "approve":
        context.emit("kept_draft", algorithm=best["algorithm"])
        return {}
    if context.persist:
        mark_validated(context, best["algorithm"])
    context.emit("validated", algorithm=best["algorithm"])
    return {}
