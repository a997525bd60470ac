"""Data retrieval: the model calls the nine data tools (always with the session's cutoff) and
summarises what data there is; omc adds the coverage it measured itself.

A call to an unknown tool, arguments that are not JSON or that do not fit the tool are answered
with an error the model can act on; the number of model turns is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import LabState
from omc.lab.tools import ToolProblem, call_tool, compact_result, langchain_tools, row_count

SYSTEM = """You are the data retrieval agent of omc's research lab. Use the tools to find out
which data exists for the plan (coverage, date ranges, what sentiment or events there are).
Every read is limited to data known by {as_of}. When you know enough, answer without tool calls
with a short summary of the data available for the plan."""


def _coverage(context: LabContext, plan: dict[str, Any]) -> dict[str, Any]:
    from omc.db import session_scope
    from omc.ledgers.tools import get_data_statistics

    with session_scope(context.engine) as session:
        per_coin = {
            coin: get_data_statistics(session, coin, as_of=context.as_of) for coin in plan["coins"]
        }
    return {
        coin: {
            "prices": stats.get("price_data_5min", {}).get("rows", 0),
            "first": stats.get("price_data_5min", {}).get("first"),
            "last": stats.get("price_data_5min", {}).get("last"),
            "news": stats.get("news_sentiment", {}).get("rows", 0),
            "social": stats.get("social_sentiment", {}).get("rows", 0),
            "catalysts": stats.get("catalyst_events", {}).get("rows", 0),
        }
        for coin, stats in per_coin.items()
    }


def _answer_calls(context: LabContext, answer: Any) -> list[Any]:
    from langchain_core.messages import ToolMessage

    replies = []
    for call in answer.tool_calls:
        try:
            used, result = call_tool(
                context.engine,
                call["name"],
                call["args"],
                as_of=context.as_of,
                user_id=context.user_id,
            )
        except ToolProblem as problem:
            context.emit("tool_error", tool=call["name"], error=str(problem))
            replies.append(ToolMessage(str(problem), tool_call_id=call["id"], status="error"))
            continue
        context.emit("tool_call", tool=call["name"], args=used, rows=row_count(result))
        replies.append(ToolMessage(compact_result(result), tool_call_id=call["id"]))
    for call in answer.invalid_tool_calls:
        problem = f"the arguments of {call.get('name')!r} are not valid JSON: {call.get('error')}"
        context.emit("tool_error", tool=call.get("name"), error=problem)
        replies.append(ToolMessage(problem, tool_call_id=call.get("id") or "", status="error"))
    return replies


def retrieval(context: LabContext, state: LabState) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    plan = state["plan"] or {}
    tools = langchain_tools()
    history: list[Any] = [
        SystemMessage(SYSTEM.format(as_of=state["as_of"])),
        HumanMessage("Plan:\n" + json.dumps(plan, sort_keys=True)),
    ]
    summary = ""
    turns = 0
    for turns in range(1, context.limits.retrieval_turns + 1):  # noqa: B007
        answer = context.ask(history, tools=tools)
        if not answer.tool_calls and not answer.invalid_tool_calls:
            summary = answer.content if isinstance(answer.content, str) else str(answer.content)
            break
        history += [answer, *_answer_calls(context, answer)]
    else:
        context.emit("limit", what="retrieval turns", limit=context.limits.retrieval_turns)
        summary = "(the model did not summarise within the turn limit)"
    coverage = _coverage(context, plan)
    context.emit("coverage", coverage=coverage)
    return {
        "data_summary": {
            "summary": summary,
            "coverage": coverage,
            "turns": turns,
            "as_of": context.as_of.astimezone(dt.UTC).isoformat(),
        }
    }
