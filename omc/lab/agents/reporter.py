"""The reporter: a Markdown report of what was tried, what won and why, with the numbers.

Written by omc from the state (no LLM call), so every session ends with a report even when its
budget ran out.
"""

from __future__ import annotations

from typing import Any

from omc.lab.context import LabContext
from omc.lab.state import LabState

OUTCOME_TEXT = {
    "refused": "The goal is not about researching a trading strategy.",
    "cancelled": "The session was cancelled at a gate.",
    "limit_reached": "The session reached one of its limits before it finished.",
}
METRICS = (
    ("sharpe", "Sharpe (out of sample)"),
    ("deflated_sharpe", "Deflated Sharpe"),
    ("pbo", "PBO"),
    ("total_return", "Return"),
    ("buy_and_hold_return", "Buy and hold return"),
    ("max_drawdown", "Max drawdown"),
    ("trades", "Trades"),
)


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    return "–" if value is None else str(value)


def render_report(state: LabState) -> str:
    lines = [f"# Lab session: {state.get('goal', '')}", ""]
    plan = state.get("plan") or {}
    if state.get("outcome") == "refused":
        return "\n".join([*lines, state.get("report") or OUTCOME_TEXT["refused"], ""])
    if plan:
        lines += [
            "## Plan",
            "",
            f"- Coins: {', '.join(plan.get('coins', []))} ({plan.get('quote') or 'any quote'})",
            f"- Bars: {plan.get('bar_size')}, horizon {plan.get('horizon_bars')} bars, "
            f"{plan.get('lookback_days')} days of history",
            f"- Research cutoff (as of): {state.get('as_of')}",
            f"- Ledgers: {', '.join(plan.get('ledgers', []))}",
            "",
        ]
    summary = state.get("data_summary") or {}
    if summary:
        lines += ["## Data", "", str(summary.get("summary") or "").strip(), ""]
        for coin, cover in (summary.get("coverage") or {}).items():
            lines.append(
                f"- {coin}: {cover.get('prices', 0)} price bars ({cover.get('first')} to "
                f"{cover.get('last')}), {cover.get('news', 0)} news, "
                f"{cover.get('social', 0)} social posts, {cover.get('catalysts', 0)} catalysts"
            )
        lines.append("")
    features = state.get("features") or []
    if features:
        lines += ["## Features tried", ""]
        for feature in features:
            status = "failed: " + feature["error"] if feature.get("error") else "ran"
            lines.append(f"- `{feature.get('name')}` ({status})")
        lines.append("")
    candidates = state.get("candidates") or []
    if candidates:
        lines += ["## Candidates", "", "| Candidate | " + " | ".join(t for _, t in METRICS) + " |"]
        lines.append("|---" * (len(METRICS) + 1) + "|")
        for candidate in candidates:
            evaluation = candidate.get("evaluation") or {}
            cells = [_number(evaluation.get(key)) for key, _ in METRICS]
            lines.append(f"| {candidate.get('name')} | " + " | ".join(cells) + " |")
        lines.append("")
    verdict = state.get("verdict") or {}
    lines += ["## Result", ""]
    algorithms = state.get("algorithms") or []
    if algorithms:
        lines.append("Stored as draft: " + ", ".join(f"`{a}`" for a in algorithms) + ".")
        if verdict.get("reason"):
            lines.append(f"The evaluator: {verdict['reason'].rstrip('.')}.")
        for candidate in candidates:
            evaluation = candidate.get("evaluation") or {}
            sharpe, hold = evaluation.get("sharpe"), evaluation.get("buy_and_hold_sharpe")
            beaten = sharpe is not None and hold is not None and sharpe <= hold
            if candidate.get("algorithm") and beaten:
                lines.append(
                    f"It does not beat buy-and-hold out of sample (Sharpe {_number(sharpe)} "
                    f"against {_number(hold)}): it stays a draft, not one to trade."
                )
    elif state.get("outcome") in OUTCOME_TEXT:
        lines.append(OUTCOME_TEXT[state["outcome"] or ""] + " " + (verdict.get("reason") or ""))
    else:
        lines.append(
            "Nothing here beats buy-and-hold out of sample. " + (verdict.get("reason") or "")
        )
    return "\n".join(lines).rstrip() + "\n"


def reporter(context: LabContext, state: LabState) -> dict[str, Any]:
    report = render_report(state)
    if context.persist:
        from omc.lab.research import store_report

        store_report(context, report)
    context.emit("report", report=report)
    return {"report": report, "outcome": state.get("outcome") or "completed"}
