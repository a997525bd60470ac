"""``omc floor replay``: the trading loop over stored bars on a simulated clock.

Each bar's close is a tick at the next bar's open: the deployment's target (the same
``Strategy.targets`` code; computed once over the span, which is the same per bar for any
strategy that passes the lookahead check, and verified on sampled bars), the same order rule
(:func:`~omc.floor.trading.orders.plan_order`), the same risk engine with the deployment's
limits, and fills at that next bar's open with the fee on top, as the backtest convention says.
Its trades are compared with ``omc backtest run`` on the same bars, parameters and costs;
where the risk engine clamped or stopped an order, the decision is listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

import numpy as np
import pandas as pd

from omc.backtest.costs import CostModel
from omc.backtest.execution import checked_targets, execution_prices, mark_prices, prepare_bars
from omc.errors import OmcError
from omc.floor.trading import risk
from omc.floor.trading.limits import Limits
from omc.floor.trading.orders import exact, plan_order
from omc.floor.trading.targets import resolve_target

LOOKAHEAD_SAMPLES = 8


class Fills:
    """How a replay's orders fill. This one: exactly at the price, the fee on top (the
    backtest's own arithmetic); :class:`PaperFills` sends them through the paper broker."""

    def __init__(self, fee_rate: Decimal) -> None:
        self.fee_rate = fee_rate

    def buy(
        self, now: dt.datetime, value: Decimal, price: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        """(units, value, fee) of a buy of ``value`` before the fee."""
        return value / price, value, value * self.fee_rate

    def sell(
        self, now: dt.datetime, units: Decimal, price: Decimal
    ) -> tuple[Decimal, Decimal, Decimal]:
        notional = units * price
        return units, notional, notional * self.fee_rate

    def close(self) -> None:
        return None


@dataclass
class ReplayFill:
    time: dt.datetime
    side: str
    units: Decimal
    price: Decimal
    notional: Decimal
    fee: Decimal

    def to_dict(self) -> dict[str, str]:
        return {
            "time": self.time.isoformat(),
            "side": self.side,
            "units": str(self.units),
            "price": str(self.price),
            "notional": str(self.notional),
            "fee": str(self.fee),
        }


@dataclass
class ReplayResult:
    target: str
    params: dict[str, Any]
    bars: int
    ticks: int
    fills: list[ReplayFill]
    final_cash: Decimal
    final_units: Decimal
    final_equity: Decimal
    outcomes: dict[str, int]
    interventions: list[dict[str, Any]] = field(default_factory=list)
    backtest_fills: list[dict[str, str]] = field(default_factory=list)
    differences: list[dict[str, Any]] = field(default_factory=list)
    lookahead_samples: int = 0
    largest_differences: dict[str, str] = field(default_factory=dict)
    broker: str = "exact"

    @property
    def matches_backtest(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "params": self.params,
            "bar_count": self.bars,
            "ticks": self.ticks,
            "outcomes": self.outcomes,
            "fills": [fill.to_dict() for fill in self.fills],
            "final_cash": str(self.final_cash),
            "final_units": str(self.final_units),
            "final_equity": str(self.final_equity),
            "matches_backtest": self.matches_backtest,
            "backtest_fills": len(self.backtest_fills),
            "differences": self.differences,
            "interventions": self.interventions,
            "lookahead_samples": self.lookahead_samples,
            "fills_through": self.broker,
            "largest_differences": self.largest_differences,
        }


def _verify_causal(strategy: Any, bars: pd.DataFrame, params: dict, targets: np.ndarray) -> int:
    """Recompute the target at sampled bars from the bars known then; they must agree."""
    from omc.errors import DataProblem

    warm = strategy.warmup_bars(params) + 2
    if len(bars) <= warm:
        return 0
    positions = np.unique(np.linspace(warm, len(bars) - 1, LOOKAHEAD_SAMPLES).astype(int))
    for position in positions:
        known = bars.iloc[: position + 1]
        again = checked_targets(strategy.targets(known, params), len(known), strategy.name)
        if again[-1] != targets[position]:
            raise DataProblem(
                f"{strategy.name} gives bar {bars.index[position].isoformat()} a different "
                "target once later bars are removed: it looks ahead, so it cannot be replayed "
                "(run `omc backtest check`)"
            )
    return len(positions)


def replay_bars(
    bars: pd.DataFrame,
    target: str,
    params: Mapping[str, object] | None,
    costs: CostModel,
    capital: Decimal,
    limits: Limits,
    fills_with: Fills | None = None,
) -> ReplayResult:
    """Run the loop over ``bars``; every bar but the last is a tick at the next bar's open."""
    resolved = resolve_target(target, params)
    strategy, resolved_params = resolved.strategy, resolved.params
    bars = prepare_bars(bars)
    targets = checked_targets(strategy.targets(bars, resolved_params), len(bars), strategy.name)
    samples = _verify_causal(strategy, bars, resolved_params, targets)
    opens = execution_prices(bars, mark_prices(bars))
    times = [stamp.to_pydatetime() for stamp in bars.index]
    filler = fills_with or Fills(exact(costs.fee_rate))
    cash, units = Decimal(capital), Decimal(0)
    applied = 0.0
    peak: Decimal | None = capital
    day_start: Decimal | None = None
    day: dt.date | None = None
    halted_until: dt.datetime | None = None
    halted_for_good = False
    fills: list[ReplayFill] = []
    outcomes: dict[str, int] = {}
    interventions: list[dict[str, Any]] = []

    def count(outcome: str) -> None:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    with localcontext() as context:
        context.prec = 28
        for bar in range(len(bars) - 1):
            now = times[bar + 1]
            target_now = float(targets[bar])
            price = exact(opens[bar + 1])
            if halted_for_good or (halted_until is not None and now < halted_until):
                count("halted")
                continue
            if halted_until is not None:
                halted_until, day_start, day = None, None, None
            equity = cash + units * price
            peak = max(peak or equity, equity)
            if day != now.date() or day_start is None:
                day, day_start = now.date(), equity
            planned = None
            if target_now != applied:
                planned = plan_order(
                    cash, units, price, target_now, costs.fee_rate, limits.min_order_value
                )
                if planned is None:
                    applied = target_now
            book = risk.Book(
                equity=equity,
                position_value=units * price,
                account_equity=equity,
                day_start_equity=day_start,
                peak_equity=peak,
            )
            market = risk.Market(now, price, now, price if planned else None, now)
            proposal = risk.Proposal(planned.side, planned.value) if planned else None
            assessment = risk.assess(proposal, book, market, limits)
            halted = assessment.halted
            if halted is not None:
                count("halted")
                interventions.append(_intervention(now, bars.index[bar], target_now, halted))
                if halted.name == "daily_loss":
                    halted_until = dt.datetime.combine(
                        now.date() + dt.timedelta(days=1), dt.time(0), dt.UTC
                    )
                else:
                    halted_for_good = True
                continue
            if planned is None:
                count("held")
                continue
            blocked = assessment.blocked
            if blocked is not None or not assessment.allowed:
                count("blocked")
                check = blocked or assessment.checks[-1]
                interventions.append(_intervention(now, bars.index[bar], target_now, check))
                continue
            value = assessment.value
            clamps = [check for check in assessment.checks if check.verdict == risk.CLAMP]
            for check in clamps:
                interventions.append(_intervention(now, bars.index[bar], target_now, check))
            try:
                bought, notional, fee = (
                    filler.buy(now, value, price)
                    if planned.side == "buy"
                    else filler.sell(
                        now, planned.units if value == planned.value else value / price, price
                    )
                )
            except OmcError as error:  # the broker refused: nothing was placed
                count("failed")
                refused = risk.Check("broker", risk.FAIL, error.message)
                interventions.append(_intervention(now, bars.index[bar], target_now, refused))
                continue
            if planned.side == "buy":
                cash -= notional + fee
                units += bought
                fills.append(ReplayFill(now, "buy", bought, price, notional, fee))
            else:
                sold = bought
                cash += notional - fee
                units = Decimal(0) if target_now <= 0 and sold == units else units - sold
                fills.append(ReplayFill(now, "sell", sold, price, notional, fee))
            applied = target_now
            count("ordered")
        final_equity = cash + units * exact(mark_prices(bars)[-1])
    return ReplayResult(
        target=resolved.target,
        params=dict(resolved_params),
        bars=len(bars),
        ticks=len(bars) - 1,
        fills=fills,
        final_cash=cash,
        final_units=units,
        final_equity=final_equity,
        outcomes=outcomes,
        interventions=interventions,
        lookahead_samples=samples,
    )


def _intervention(now: dt.datetime, bar: pd.Timestamp, target: float, check: risk.Check) -> dict:
    return {
        "tick": now.isoformat(),
        "bar": bar.isoformat(),
        "target": target,
        "check": check.name,
        "verdict": check.verdict,
        "reason": check.reason,
        "numbers": check.numbers,
    }


def compare_with_backtest(
    result: ReplayResult,
    bars: pd.DataFrame,
    costs: CostModel,
    capital: Decimal,
    tolerance: Decimal | None = Decimal("1e-20"),
) -> ReplayResult:
    """``tolerance``: how far (relative) amounts may differ; None compares only the trades'
    times, sides and prices (the paper broker rounds amounts to CoinSpot's 8 places, and the
    rounding carries into later orders' sizes: the largest differences are reported)."""
    """Run ``omc backtest run``'s engine on the same bars and list every fill that differs."""
    from omc.backtest.runner import run_backtest

    backtest = run_backtest(
        bars, result.target, result.params, costs, float(capital), with_benchmark=False
    )
    ledger = backtest.exact_ledger()
    theirs = [fill.to_dict() for fill in ledger.fills]
    ours = [fill.to_dict() for fill in result.fills]
    differences = []
    for position in range(max(len(ours), len(theirs))):
        mine = ours[position] if position < len(ours) else None
        other = theirs[position] if position < len(theirs) else None
        if mine is None or other is None or _differs(mine, other, tolerance):
            differences.append({"fill": position, "replay": mine, "backtest": other})
    result.backtest_fills = theirs
    result.differences = differences
    same = [
        (mine, other)
        for mine, other in zip(ours, theirs, strict=False)
        if mine["time"] == other["time"]
    ]
    result.largest_differences = {
        name: str(max((_absolute(mine[name], other[name]) for mine, other in same), default=0))
        for name in ("units", "notional", "fee")
    }
    return result


def _absolute(a: str, b: str) -> Decimal:
    return abs(Decimal(a) - Decimal(b))


def _relative(a: str, b: str) -> Decimal:
    x, y = Decimal(a), Decimal(b)
    return abs(x - y) / abs(y) if y else abs(x - y)


FIELDS = ("time", "side", "units", "price", "notional", "fee")


def _differs(mine: dict[str, str], other: dict[str, str], tolerance: Decimal | None) -> bool:
    """Times, sides and prices must be equal; amounts within ``tolerance`` (relative): the
    exact replay allows only the last of 28 digits, the paper broker its 8-place rounding."""
    if mine["time"] != other["time"] or mine["side"] != other["side"]:
        return True
    if Decimal(mine["price"]) != Decimal(other["price"]):
        return True
    if tolerance is None:
        return False
    return any(
        _relative(mine[name], other[name]) > tolerance for name in ("units", "notional", "fee")
    )


def replay_market(
    connect: Any,
    query: Any,
    target: str,
    params: Mapping[str, object] | None,
    costs: CostModel,
    capital: Decimal,
    limits: Limits,
    paper_broker: bool = True,
) -> tuple[Any, ReplayResult]:
    """Load the bars ``query`` asks for (as the backtest does), replay through the paper broker
    (or with exact fills), and compare with the backtest."""
    from omc.backtest.data import load_bars
    from omc.backtest.service import BarsSummary

    resolve_target(target, params)  # an unknown strategy fails before any database work
    bars = load_bars(connect(), query)
    fills: Fills | None = None
    if paper_broker:
        from omc.floor.trading.replay_paper import PaperFills

        fills = PaperFills(exact(costs.fee_rate), capital, query.coin, query.quote)
    try:
        result = replay_bars(bars, target, params, costs, capital, limits, fills)
    finally:
        if fills is not None:
            fills.close()
    result.broker = "paper broker" if paper_broker else "exact"
    compare_with_backtest(result, bars, costs, capital, None if paper_broker else Decimal("1e-20"))
    return BarsSummary.of(query.market, bars), result
