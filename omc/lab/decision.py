"""Decision rules: a model's score per bar (the probability of a rise, or a predicted return)
to a target position in [0, 1].

- ``threshold``: long from a bar whose score is above ``enter`` until one whose score is below
  ``exit`` (hysteresis, so a score hovering at the line does not trade every bar);
- ``confidence``: sized by confidence, 0 at ``floor`` and below, rising linearly to 1 at
  ``ceiling``.

Bars without a score (features still warming up) are flat.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from omc.lab.errors import AlgorithmError
from omc.strategies.indicators import hold_between

DECISION_RULES = ("threshold", "confidence")


def default_decision(classification: bool) -> dict[str, Any]:
    """The recipe's rule: enter above 0.55 and exit below 0.45 for a probability; enter above
    0 and exit below 0 for a predicted return."""
    if classification:
        return {"rule": "threshold", "enter": 0.55, "exit": 0.45}
    return {"rule": "threshold", "enter": 0.0, "exit": 0.0}


def check_decision(decision: Mapping[str, Any]) -> dict[str, Any]:
    """A rule with its numbers, checked."""
    rule = decision.get("rule")
    if rule == "threshold":
        enter, leave = float(decision["enter"]), float(decision["exit"])
        if leave > enter:
            raise AlgorithmError(
                f"The decision rule's exit ({leave}) must not be above its entry ({enter})."
            )
        return {"rule": rule, "enter": enter, "exit": leave}
    if rule == "confidence":
        floor, ceiling = float(decision["floor"]), float(decision["ceiling"])
        if ceiling <= floor:
            raise AlgorithmError(
                f"The decision rule's ceiling ({ceiling}) must be above its floor ({floor})."
            )
        return {"rule": rule, "floor": floor, "ceiling": ceiling}
    raise AlgorithmError(
        f"Unknown decision rule {rule!r}; choose one of: {', '.join(DECISION_RULES)}."
    )


def positions(scores: np.ndarray, decision: Mapping[str, Any]) -> np.ndarray:
    """Target positions for `scores` (NaN = no score: flat, and a threshold position exits)."""
    scores = np.asarray(scores, dtype=np.float64)
    rule = check_decision(decision)
    known = np.isfinite(scores)
    if rule["rule"] == "threshold":
        with np.errstate(invalid="ignore"):
            entries = known & (scores > rule["enter"])
            exits = ~known | (scores < rule["exit"])
        return hold_between(entries, exits & ~entries)
    with np.errstate(invalid="ignore"):
        sized = (scores - rule["floor"]) / (rule["ceiling"] - rule["floor"])
    return np.where(known, np.clip(sized, 0.0, 1.0), 0.0)
