"""A deployment beside the backtest of the same period: returns, their difference (the live
gate's tracking error), and a PNG of both equity curves.

The backtest starts flat at the deployment's first tick with the same capital, runs the same
strategy and parameters on the same stored bars (the deployment's bar size), and fills at each
next bar's open; the paper (or live) curve is the equity each decision recorded.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from omc.db import as_utc, utcnow
from omc.floor.trading.models import Decision, Deployment


def _decisions(rt: Any, deployment: Deployment) -> list[Decision]:
    with rt.session() as session:
        return list(
            session.execute(
                sa.select(Decision)
                .where(Decision.deployment_id == deployment.id, Decision.equity.is_not(None))
                .order_by(Decision.bar_time)
            ).scalars()
        )


def tracking(rt: Any, deployment: Deployment) -> dict[str, Any]:
    """Paper (or live) return against the backtest's on the same bars; ``error`` is None when
    there is too little to compare, with the ``reason``."""
    from omc.backtest.costs import CostModel
    from omc.backtest.engine import simulate
    from omc.backtest.execution import (
        checked_targets,
        execution_prices,
        mark_prices,
        prepare_bars,
    )
    from omc.floor.brokers.config import BrokerConfig
    from omc.floor.trading.market import lookback_bars, tick_bars
    from omc.floor.trading.targets import resolve_target

    decisions = _decisions(rt, deployment)
    if len(decisions) < 2:
        return {"error": None, "reason": f"{deployment.name} has fewer than two ticks"}
    first, last = as_utc(decisions[0].bar_time), as_utc(decisions[-1].bar_time)
    step = dt.timedelta(seconds=deployment.bar_seconds)
    resolved = resolve_target(deployment.target, deployment.params)
    with rt.engine().connect() as connection:
        bars = tick_bars(
            connection,
            deployment.coin,
            deployment.quote,
            deployment.bar_seconds,
            until=last + step,
            as_of=utcnow(),
            lookback=lookback_bars(resolved.strategy, resolved.params) + int((last - first) / step),
        )
    bars = prepare_bars(bars)
    targets = checked_targets(
        resolved.strategy.targets(bars, resolved.params), len(bars), resolved.strategy.name
    )
    started = bars.index >= pd.Timestamp(first)
    targets = np.where(started, targets, 0.0)
    marks = mark_prices(bars)
    fee = float(BrokerConfig.from_settings(rt.settings).fee_rate)
    simulation = simulate(
        targets,
        execution_prices(bars, marks),
        marks,
        CostModel(fee_rate=fee),
        float(deployment.capital),
    )
    backtest = pd.Series(simulation.equity, index=bars.index)[started]
    paper = pd.Series(
        [float(decision.equity) for decision in decisions],
        index=pd.DatetimeIndex([as_utc(decision.bar_time) for decision in decisions]),
    )
    capital = float(deployment.capital)
    paper_return = float(paper.iloc[-1]) / capital - 1.0
    backtest_return = float(backtest.iloc[-1]) / capital - 1.0
    return {
        "error": abs(paper_return - backtest_return),
        "paper_return": paper_return,
        "backtest_return": backtest_return,
        "first_bar": first.isoformat(),
        "last_bar": last.isoformat(),
        "ticks": len(decisions),
        "paper": paper,
        "backtest": backtest,
    }


def deployment_report(rt: Any, ref: str, png: Path | None) -> dict[str, Any]:
    """``omc floor report``: the comparison, and the PNG when ``png`` is given."""
    from omc.floor.trading.deployments import find_deployment

    with rt.session() as session:
        deployment = find_deployment(session, rt.user_id(), ref)
    result = tracking(rt, deployment)
    paper, backtest = result.pop("paper", None), result.pop("backtest", None)
    if png is not None and paper is not None:
        _plot(paper, backtest, png, f"{deployment.name}: {deployment.mode} beside the backtest")
        result["png"] = str(png)
    return {"deployment": deployment.name, "mode": deployment.mode, **result}


def _plot(paper: pd.Series, backtest: pd.Series, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(10, 5))
    try:
        axes.plot(backtest.index, backtest.to_numpy(), label="backtest, same bars", linewidth=1.0)
        axes.plot(paper.index, paper.to_numpy(), label="deployment", linewidth=1.0)
        axes.set_ylabel("equity")
        axes.set_title(title)
        axes.grid(alpha=0.3)
        axes.legend(loc="upper left")
        figure.tight_layout()
        figure.savefig(path, dpi=100)
    finally:
        plt.close(figure)
