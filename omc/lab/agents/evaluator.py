"""The evaluator: reads the out-of-sample evaluation and accepts a candidate, asks for another
round, or concludes that nothing qualifies.

The model decides, omc's rules bound it: a candidate whose own targets fail the lookahead check
is never accepted, another round is only granted while rounds are left, and the accepted
candidate is stored as a ``draft`` algorithm by omc's code (``validated`` needs the gate).
"""

from __future__ import annotations

import json
from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import LabState, Verdict

SYSTEM = """You are the evaluator of omc's research lab. Judge the candidates by their
out-of-sample evaluation: deflated Sharpe ratio (corrects for the {trials} trials so far),
probability of backtest overfitting, the lookahead check, and buy-and-hold over the same span.
Decide: accept (the best candidate is worth keeping as a draft), another_round (say what the
analyst should try next in next_idea), or conclude (nothing qualifies). Answer with JSON only."""


def _brief(candidate: dict[str, Any]) -> dict[str, Any]:
    return {"name": candidate["name"], **(candidate.get("evaluation") or {})}


def evaluator(context: LabContext, state: LabState) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from omc.lab.research import best_candidate, store_candidate

    candidates = list(state.get("candidates") or [])
    trials = sum(int((c.get("evaluation") or {}).get("trials", 1) or 1) for c in candidates)
    history = [
        SystemMessage(SYSTEM.format(trials=trials)),
        HumanMessage(
            "Goal: "
            + state["goal"]
            + "\n\nCandidates:\n"
            + json.dumps([_brief(c) for c in candidates], sort_keys=True, default=str)
        ),
    ]
    verdict = context.ask_for(history, Verdict).model_dump()
    rounds = state["counters"]["rounds"]
    best = best_candidate(candidates)
    if verdict["decision"] == "accept" and (best is None or not best.get("lookahead_ok", True)):
        verdict = {
            "decision": "conclude",
            "reason": "no candidate passes the lookahead check",
            "next_idea": None,
        }
    if verdict["decision"] == "another_round":
        if rounds + 1 >= context.limits.rounds:
            context.emit("limit", what="analyst rounds", limit=context.limits.rounds)
            verdict = {**verdict, "decision": "conclude"}
        else:
            context.emit("verdict", **verdict)
            return {"verdict": verdict, "rounds": rounds + 1}
    context.emit("verdict", **verdict)
    update: dict[str, Any] = {"verdict": verdict}
    if verdict["decision"] == "accept" and best is not None:
        if context.persist:
            algorithm = store_candidate(context, state, best)
        else:  # a replay: the result is compared, not stored again
            algorithm = best["fingerprint"][:12]
        best = {**best, "algorithm": algorithm}
        update["candidates"] = [best if c["name"] == best["name"] else c for c in candidates]
        update["algorithms"] = [*(state.get("algorithms") or []), algorithm]
        context.emit("stored", algorithm=algorithm, status="draft", fingerprint=best["fingerprint"])
    return update
