"""The trainer: the model picks estimators and search spaces from the allow-list (one
structured answer); omc's own code then fits them with the purged walk-forward (``training``).

Fitting is split from choosing so that the training gate sits between them: the person sees
the estimated number of fits and the budget left before any fitting starts.
"""

from __future__ import annotations

import json
from typing import Any

from omc.lab.context import AnswerFailed, LabContext
from omc.lab.state import LabState, TrainingChoice

SYSTEM = """You are the trainer of omc's research lab. Choose up to four estimators from this
allow-list, each with a small search space (a list of values per hyper-parameter):
{allowed}
omc fits them with a purged walk-forward; every combination tried counts against the deflated
Sharpe ratio, so keep the search small. Answer with JSON only: estimators, rationale."""


def trainer(context: LabContext, state: LabState) -> dict[str, Any]:
    from langchain_core.messages import HumanMessage, SystemMessage

    from omc.lab.research import allowed_estimators, check_choice

    feature = next(f for f in reversed(state.get("features") or []) if not f.get("error"))
    history: list[Any] = [
        SystemMessage(SYSTEM.format(allowed=json.dumps(allowed_estimators(), sort_keys=True))),
        HumanMessage(
            "Plan:\n"
            + json.dumps(state.get("plan") or {}, sort_keys=True)
            + f"\n\nFeatures {feature['name']!r}: "
            + json.dumps(feature.get("summary"), sort_keys=True)
        ),
    ]
    problem = ""
    for _attempt in range(context.limits.answer_attempts):
        choice = context.ask_for(history, TrainingChoice)
        problem = check_choice(choice)
        if not problem:
            data = choice.model_dump()
            context.emit("training_choice", choice=data)
            return {"training": data}
        context.emit("invalid_answer", problem=problem)
        history.append(HumanMessage(f"{problem}. Choose again from the allow-list."))
    raise AnswerFailed(f"the model chose no valid estimators ({problem})")


def training(context: LabContext, state: LabState) -> dict[str, Any]:
    from omc.lab.research import train_candidates

    feature = next(f for f in reversed(state.get("features") or []) if not f.get("error"))
    made = train_candidates(context, state, feature, state.get("training") or {})
    for candidate in made:
        context.emit(
            "candidate",
            name=candidate["name"],
            evaluation=candidate.get("evaluation", {}),
            fingerprint=candidate["fingerprint"],
        )
    return {"candidates": [*(state.get("candidates") or []), *made]}
