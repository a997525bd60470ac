"""The lab's LangGraph ``StateGraph``, built per session (never at import).

planner → plan gate → data retrieval → analyst → trainer → training gate → training →
evaluator → (analyst again | validation gate | reporter) → reporter. Every node runs through one
wrapper that enforces the total step limit, keeps the counters and ends the session on a set
``outcome``: every path to the end goes through the reporter.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from omc.lab.context import LabContext
from omc.lab.state import LabState

if TYPE_CHECKING:
    from langgraph.checkpoint.base import BaseCheckpointSaver
    from langgraph.graph.state import CompiledStateGraph

Stage = Callable[[LabContext, LabState], dict[str, Any]]


def _node(name: str, stage: Stage, context: LabContext) -> Callable[[LabState], dict[str, Any]]:
    def run(state: LabState) -> dict[str, Any]:
        counters = state["counters"]
        context.begin(name, counters)
        context.as_of = dt.datetime.fromisoformat(state["as_of"])
        if counters["steps"] >= context.limits.max_steps and name != "reporter":
            context.emit("limit", what="graph steps", limit=context.limits.max_steps)
            return {"outcome": "limit_reached", "counters": context.advance(counters)}
        context.emit("stage", name=name)
        update = stage(context, state)
        update["counters"] = context.advance(counters, rounds=update.pop("rounds", None))
        return update

    run.__name__ = name
    return run


def _ended(state: LabState) -> bool:
    return bool(state.get("outcome"))


def _after_evaluator(state: LabState) -> str:
    if _ended(state):
        return "reporter"
    decision = (state.get("verdict") or {}).get("decision")
    if decision == "another_round":
        return "analyst"
    if decision == "accept" and any(c.get("qualifies") for c in state.get("candidates", [])):
        return "validation_gate"
    return "reporter"


def build_graph(
    context: LabContext, checkpointer: BaseCheckpointSaver | None
) -> CompiledStateGraph:
    """The compiled graph of one session."""
    from langgraph.graph import END, START, StateGraph

    from omc.lab.agents.analyst import analyst
    from omc.lab.agents.evaluator import evaluator
    from omc.lab.agents.gates import plan_gate, training_gate, validation_gate
    from omc.lab.agents.planner import planner
    from omc.lab.agents.reporter import reporter
    from omc.lab.agents.retrieval import retrieval
    from omc.lab.agents.trainer import trainer, training

    builder = StateGraph(LabState)
    stages: dict[str, Stage] = {
        "planner": planner,
        "plan_gate": plan_gate,
        "retrieval": retrieval,
        "analyst": analyst,
        "trainer": trainer,
        "training_gate": training_gate,
        "training": training,
        "evaluator": evaluator,
        "validation_gate": validation_gate,
        "reporter": reporter,
    }
    for name, stage in stages.items():
        builder.add_node(name, _node(name, stage, context))
    builder.add_edge(START, "planner")
    chain = [
        "planner",
        "plan_gate",
        "retrieval",
        "analyst",
        "trainer",
        "training_gate",
        "training",
        "evaluator",
    ]
    for here, there in itertools.pairwise(chain):
        builder.add_conditional_edges(
            here,
            lambda state, there=there: "reporter" if _ended(state) else there,
            [there, "reporter"],
        )
    builder.add_conditional_edges(
        "evaluator", _after_evaluator, ["analyst", "validation_gate", "reporter"]
    )
    builder.add_edge("validation_gate", "reporter")
    builder.add_edge("reporter", END)
    return builder.compile(checkpointer=checkpointer)
