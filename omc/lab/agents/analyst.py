"""The analyst: the model writes feature code, the sandbox runs it, the model sees a summary.

The summary is compact (shape, per-column statistics, correlation with the label, missing
values), never the rows. When the sandbox refuses or the code fails, the model gets the
sandbox's message and tries again, up to ``limits.feature_attempts`` runs per round; a round in
which no code ran ends the session (``limit_reached``) with the last error.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import FeatureCode, LabState

SYSTEM = """You are the analyst of omc's research lab. Write Python feature code for the plan.
The code runs in a sandbox: it gets `df`, a pandas DataFrame of bars indexed by time with columns
{columns}, and these named inputs: {inputs}. Only math, statistics, numpy, pandas and
omc.strategies.indicators can be imported. Assign a DataFrame of numeric feature columns, indexed
like `df`, to `result`. Features must use only past and present values (no shift(-n)).
Answer with JSON only: name, code, rationale."""


def _ask_round(state: LabState) -> str:
    plan = state.get("plan") or {}
    lines = ["Plan:\n" + json.dumps(plan, sort_keys=True)]
    summary = (state.get("data_summary") or {}).get("summary")
    if summary:
        lines.append("Data available: " + str(summary))
    tried = [f for f in state.get("features", []) if not f.get("error")]
    if tried:
        lines.append(
            "Feature sets tried so far: "
            + json.dumps([{"name": f["name"], "summary": f.get("summary")} for f in tried])
        )
    idea = (state.get("verdict") or {}).get("next_idea")
    if idea:
        lines.append("The evaluator asks for: " + idea)
    return "\n\n".join(lines)


def analyst(context: LabContext, state: LabState) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from omc.lab.research import feature_inputs, run_features, summarise_features
    from omc.lab.sandbox import SandboxError

    plan = state["plan"] or {}
    df, inputs = feature_inputs(context, plan)
    history: list[Any] = [
        SystemMessage(
            SYSTEM.format(
                columns=", ".join(map(str, df.columns)),
                inputs=", ".join(f"{name} ({_shape(value)})" for name, value in inputs.items())
                or "none",
            )
        ),
        HumanMessage(_ask_round(state)),
    ]
    features = list(state.get("features") or [])
    error = ""
    for attempt in range(1, context.limits.feature_attempts + 1):
        answer = context.ask_for(history, FeatureCode)
        digest = hashlib.sha256(answer.code.encode()).hexdigest()
        try:
            result = run_features(answer.code, df, inputs)
        except SandboxError as problem:
            error = str(problem)
            context.emit("sandbox_run", name=answer.name, ok=False, error=error, attempt=attempt)
            features.append({"name": answer.name, "code_sha256": digest, "error": error})
            history += [
                HumanMessage(
                    f"Your code {answer.name!r} failed in the sandbox: {error}\n"
                    "Fix it and answer again with the whole JSON."
                )
            ]
            continue
        summary = summarise_features(result, df, plan)
        context.emit("sandbox_run", name=answer.name, ok=True, summary=summary, attempt=attempt)
        features.append(
            {
                "name": answer.name,
                "code": answer.code,
                "code_sha256": digest,
                "rationale": answer.rationale,
                "summary": summary,
            }
        )
        return {"features": features}
    context.emit("limit", what="feature attempts", limit=context.limits.feature_attempts)
    return {
        "features": features,
        "outcome": "limit_reached",
        "verdict": {
            "decision": "conclude",
            "reason": f"the feature code kept failing in the sandbox ({error})",
        },
    }


def _shape(value: Any) -> str:
    shape = getattr(value, "shape", None)
    return "x".join(map(str, shape)) if shape is not None else type(value).__name__
