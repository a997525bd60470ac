"""The floor's actions as one call each, on a :class:`~omc.runtime.Runtime`: what
``omc floor promote|status|pause|resume|stop|kill|decisions`` run. Results are plain dicts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from omc.floor.trading.deployments import (
    PromoteRequest,
    build_deployment,
    find_deployment,
    list_deployments,
    save_deployment,
    set_status,
)
from omc.floor.trading.kill import active_kill, active_kills, lift_kill, set_kill
from omc.floor.trading.models import Decision, Deployment
from omc.floor.trading.targets import describe_interval


def _money(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:.2f}"


def deployment_view(session: Any, deployment: Deployment) -> dict[str, Any]:
    """One deployment as ``omc floor status`` shows it."""
    from omc.floor.trading.market import latest_price

    equity = deployment.last_equity
    price = None
    latest = latest_price(session, deployment.coin, deployment.quote, _now())
    if latest is not None:
        price = latest.last
        equity = deployment.cash + deployment.units * price
    exposure = deployment.units * price if price is not None else None
    kill = active_kill(session, deployment.id)
    risk_state = "killed" if kill else deployment.status
    return {
        "id": str(deployment.id),
        "name": deployment.name,
        "target": deployment.target,
        "params": deployment.params,
        "market": f"{deployment.coin}/{deployment.quote}",
        "mode": deployment.mode,
        "account": deployment.account,
        "interval": describe_interval(deployment.bar_seconds),
        "status": deployment.status,
        "risk_state": risk_state,
        "reason": kill or deployment.status_reason,
        "capital": _money(deployment.capital),
        "cash": _money(deployment.cash),
        "units": str(deployment.units),
        "equity": _money(equity),
        "pnl_today": _money(equity - deployment.day_start_equity)
        if equity is not None and deployment.day_start_equity is not None
        else None,
        "pnl_total": _money(equity - deployment.capital) if equity is not None else None,
        "exposure": _money(exposure),
        "last_tick": deployment.last_tick_at.isoformat() if deployment.last_tick_at else None,
        "created": deployment.created_at.isoformat(),
    }


def _now():
    from omc.db import utcnow

    return utcnow()


def promote(
    rt: Any,
    request: PromoteRequest,
    confirm: Callable[[str], bool] | None = None,
    yes: bool = False,
) -> dict[str, Any]:
    """Write a deployment row (live only after the gate passes and the person confirms)."""
    user_id = rt.user_id()
    deployment = build_deployment(rt.settings, user_id, request)
    gate = None
    if request.mode == "live":
        from omc.floor.trading.gate import run_live_gate

        gate = run_live_gate(rt, deployment, confirm=confirm, yes=yes)
    with rt.session() as session:
        saved = save_deployment(session, deployment, gate)
        view = deployment_view(session, saved)
    view["gate"] = gate
    return view


def status(rt: Any) -> dict[str, Any]:
    user_id = rt.user_id()
    with rt.session() as session:
        rows = [deployment_view(session, row) for row in list_deployments(session, user_id)]
        kills = [
            {
                "scope": "all" if kill["deployment_id"] is None else str(kill["deployment_id"]),
                "reason": kill["reason"],
                "set_by": kill["set_by"],
                "set_at": kill["set_at"].isoformat(),
            }
            for kill in active_kills(session)
        ]
    return {"deployments": rows, "kill_switches": kills}


ACTIONS = {"pause": "paused", "resume": "running", "stop": "stopped"}


def change(rt: Any, ref: str, action: str, reason: str | None = None) -> dict[str, Any]:
    """Pause, resume or stop one deployment; resume also lifts its own kill switch."""
    user_id = rt.user_id()
    with rt.session() as session:
        deployment = find_deployment(session, user_id, ref)
        set_status(session, deployment, ACTIONS[action], reason, rt.username)
        lifted = 0
        if action == "resume":
            lifted = lift_kill(session, deployment_id=deployment.id, by=rt.username)
        view = deployment_view(session, deployment)
    view["kill_switches_lifted"] = lifted
    return view


def kill(rt: Any, ref: str | None, reason: str) -> dict[str, Any]:
    """Set the kill switch for one deployment, or for all of them (``ref`` None)."""
    from omc.core import audit

    user_id = rt.user_id()
    with rt.session() as session:
        deployment = find_deployment(session, user_id, ref) if ref else None
        row = set_kill(
            session,
            deployment_id=deployment.id if deployment else None,
            reason=reason,
            by=rt.username,
        )
        audit.record(
            session,
            "floor.kill",
            user_id=user_id,
            target=f"deployments:{deployment.id}" if deployment else "deployments:*",
            detail={"reason": row.reason},
        )
        return {
            "scope": deployment.name if deployment else "all",
            "reason": row.reason,
            "set_at": row.set_at.isoformat(),
        }


def lift_all(rt: Any) -> int:
    """Lift the kill switch for all deployments (``omc floor resume --all``)."""
    with rt.session() as session:
        return lift_kill(session, deployment_id=None, by=rt.username)


def decision_view(decision: Decision) -> dict[str, Any]:
    return {
        "bar_time": decision.bar_time.isoformat(),
        "decided_at": decision.decided_at.isoformat(),
        "target": decision.target,
        "price": None if decision.price is None else str(decision.price),
        "outcome": decision.outcome,
        "reason": decision.reason,
        "side": decision.side,
        "wanted_value": None if decision.wanted_value is None else str(decision.wanted_value),
        "order_value": None if decision.order_value is None else str(decision.order_value),
        "filled_units": None if decision.filled_units is None else str(decision.filled_units),
        "filled_price": None if decision.filled_price is None else str(decision.filled_price),
        "fee": None if decision.fee is None else str(decision.fee),
        "client_order_id": decision.client_order_id,
        "order_id": decision.order_id,
        "inputs_hash": decision.inputs_hash,
        "checks": decision.checks,
    }


def decisions(rt: Any, ref: str, limit: int = 50) -> dict[str, Any]:
    """The newest ``limit`` decisions of a deployment, oldest first."""
    user_id = rt.user_id()
    with rt.session() as session:
        deployment = find_deployment(session, user_id, ref)
        rows = list(
            session.execute(
                sa.select(Decision)
                .where(Decision.deployment_id == deployment.id)
                .order_by(Decision.bar_time.desc())
                .limit(limit)
            ).scalars()
        )
        return {
            "deployment": deployment.name,
            "decisions": [decision_view(row) for row in reversed(rows)],
        }


def verify_decisions(rt: Any, ref: str, limit: int = 50) -> dict[str, Any]:
    """Replay each of the newest ``limit`` decisions: reload the bars as they were known when
    it was made, recompute the inputs hash and the target, and say whether both agree."""
    import datetime as dt

    from omc.floor.trading.market import lookback_bars, tick_bars
    from omc.floor.trading.targets import resolve_target
    from omc.floor.trading.tick import inputs_hash

    report = decisions(rt, ref, limit)
    user_id = rt.user_id()
    with rt.session() as session:
        deployment = find_deployment(session, user_id, ref)
        resolved = resolve_target(deployment.target, deployment.params)
        step = dt.timedelta(seconds=deployment.bar_seconds)
        for row in report["decisions"]:
            if not row["inputs_hash"]:
                row["verified"] = None
                continue
            bar_time = dt.datetime.fromisoformat(row["bar_time"])
            bars = tick_bars(
                session,
                deployment.coin,
                deployment.quote,
                deployment.bar_seconds,
                until=bar_time + step,
                as_of=dt.datetime.fromisoformat(row["decided_at"]),
                lookback=lookback_bars(resolved.strategy, resolved.params),
            )
            target = float(resolved.strategy.targets(bars, resolved.params)[-1])
            same_inputs = inputs_hash(bars, deployment) == row["inputs_hash"]
            row["verified"] = same_inputs and target == row["target"]
            row["replayed_target"] = target
    return report
