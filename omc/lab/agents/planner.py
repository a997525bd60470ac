"""The planner: the goal becomes a structured :class:`~omc.lab.state.Plan` (one LLM call).

A goal that is not about researching a trading strategy gets the model's polite reply and ends
the session (status ``refused``) at the cost of that one call. The person's ``--coin`` choices
win over the model's, and the plan's cutoff can only be earlier than the session's.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import LabState, Plan

SYSTEM = """You are the planner of omc's research lab. A person describes a goal; you turn it
into a research plan for a crypto trading strategy that omc will test out of sample.
Only data known by the research cutoff {as_of} may be used.
Ledgers: glass (on-chain, smart money), human (news and social sentiment), catalyst (filings,
listings), exchange (prices). Bar sizes: 5min, 15min, 1h, 4h, 1d.
Model families omc can fit: {families}.
If the goal is not about researching a crypto trading strategy, set about_trading to false and
give a short, polite refusal. Answer with JSON only."""


def _families() -> list[str]:
    from omc.lab.research import estimator_names

    return estimator_names()


def normalise(plan: Plan, state: LabState) -> dict[str, Any]:
    """The plan as stored: the person's coins win, symbols upper case, cutoff no later."""
    data = plan.model_dump()
    coins = state.get("coins") or plan.coins or ["BTC"]
    data["coins"] = sorted({coin.strip().upper() for coin in coins if coin.strip()})
    if data.get("quote"):
        data["quote"] = data["quote"].strip().upper()
    session_cutoff = dt.datetime.fromisoformat(state["as_of"])
    cutoff = session_cutoff
    if plan.as_of:
        try:
            proposed = dt.datetime.fromisoformat(plan.as_of.replace("Z", "+00:00"))
            proposed = proposed if proposed.tzinfo else proposed.replace(tzinfo=dt.UTC)
            cutoff = min(proposed.astimezone(dt.UTC), session_cutoff)
        except ValueError:
            cutoff = session_cutoff
    data["as_of"] = cutoff.isoformat()
    data.pop("about_trading", None)
    data.pop("refusal", None)
    return data


def planner(context: LabContext, state: LabState) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    coins = state.get("coins") or []
    ask = f"Goal: {state['goal']}"
    if coins:
        ask += f"\nThe person chose these coins: {', '.join(coins)}"
    messages = [
        SystemMessage(SYSTEM.format(as_of=state["as_of"], families=", ".join(_families()))),
        HumanMessage(ask),
    ]
    plan = context.ask_for(messages, Plan)
    if not plan.about_trading:
        reply = plan.refusal or "This goal is not about researching a trading strategy."
        context.emit("refused", reply=reply)
        return {"outcome": "refused", "report": reply}
    stored = normalise(plan, state)
    context.emit("plan", plan=stored)
    return {"plan": stored, "as_of": stored["as_of"]}
