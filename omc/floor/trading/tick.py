"""One tick of one deployment: bars → target → order → risk engine → broker → decision.

Order of writes, so that a crash at any point leaves nothing half done and never doubles an
order: a decision that will send an order is first committed as ``pending`` with its client
order id; then the broker is called (and writes its own order row before the request leaves);
then the fill and the deployment's new cash and units are committed with the decision. A
``pending`` decision found later is settled from the broker by that client id, never re-sent.
There is at most one decision per deployment and bar, so a restart never decides a bar twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from omc.db import session_scope, utcnow
from omc.floor.trading import risk
from omc.floor.trading.gateway import FILLED, OPEN, REJECTED, Gateway, OrderOutcome
from omc.floor.trading.kill import active_kill
from omc.floor.trading.limits import Limits, resolve_limits
from omc.floor.trading.market import latest_price, lookback_bars, tick_bars
from omc.floor.trading.models import Decision, Deployment
from omc.floor.trading.orders import PlannedOrder, plan_order
from omc.floor.trading.targets import bar_close, resolve_target
from omc.settings import Settings

log = logging.getLogger(__name__)
DEPLOYMENTS = Deployment.__table__
DECISIONS = Decision.__table__


class Events:
    """Where a tick reports what people want to hear about (fills, halts, unknown orders)."""

    def emit(self, kind: str, deployment: str, text: str) -> None:
        return None


@dataclass
class TickContext:
    """What every tick needs; built once by the daemon (or the replay)."""

    engine: Engine
    settings: Settings
    gateway_for: Callable[[Deployment], Gateway]
    events: Events
    clock: Callable[[], dt.datetime] = utcnow

    @property
    def fee_rate(self) -> float:
        """The brokers' fee (``floor.fee_rate``, else the backtest's): orders are sized with it."""
        from omc.floor.brokers.config import BrokerConfig

        return float(BrokerConfig.from_settings(self.settings).fee_rate)

    def limits_of(self, deployment: Deployment) -> Limits:
        return resolve_limits(
            self.settings.floor, deployment.limits, self.settings.backtest.minimum_order_value
        )


@dataclass
class TickResult:
    outcome: str
    reason: str | None
    decision_id: int | None = None
    equity: Decimal | None = None


def _lock(session: Session, deployment_id: uuid.UUID) -> Deployment | None:
    query = sa.select(Deployment).where(Deployment.id == deployment_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one_or_none()


def _decided(session: Session, deployment_id: uuid.UUID, bar_time: dt.datetime) -> Decision | None:
    return session.execute(
        sa.select(Decision).where(
            Decision.deployment_id == deployment_id, Decision.bar_time == bar_time
        )
    ).scalar_one_or_none()


def inputs_hash(bars: Any, deployment: Deployment) -> str:
    """A digest of everything the target was computed from: the bars and the strategy."""
    from pandas.util import hash_pandas_object

    digest = hashlib.sha256()
    digest.update(hash_pandas_object(bars, index=True).to_numpy().tobytes())
    digest.update(
        repr(
            (deployment.target, deployment.target_version, sorted(deployment.params.items()))
        ).encode()
    )
    return digest.hexdigest()


def _equity(deployment: Deployment, price: Decimal | None) -> Decimal:
    return deployment.cash + deployment.units * (price or Decimal(0))


def _account_equity(session: Session, deployment: Deployment, price: Decimal) -> Decimal:
    """Equity of every live or paper deployment on the same account, cash included (each
    valued at its own last equity, this one at the price now)."""
    others = session.execute(
        sa.select(sa.func.coalesce(sa.func.sum(DEPLOYMENTS.c.last_equity), 0)).where(
            DEPLOYMENTS.c.user_id == deployment.user_id,
            DEPLOYMENTS.c.account == deployment.account,
            DEPLOYMENTS.c.mode == deployment.mode,
            DEPLOYMENTS.c.status != "stopped",
            DEPLOYMENTS.c.id != deployment.id,
        )
    ).scalar_one()
    return _equity(deployment, price) + Decimal(str(others))


def _other_exposure(session: Session, deployment: Deployment) -> Decimal:
    """Coin value the user's other running deployments held at their last ticks."""
    rows = session.execute(
        sa.select(DEPLOYMENTS.c.last_equity, DEPLOYMENTS.c.cash).where(
            DEPLOYMENTS.c.user_id == deployment.user_id,
            DEPLOYMENTS.c.mode == deployment.mode,
            DEPLOYMENTS.c.status != "stopped",
            DEPLOYMENTS.c.id != deployment.id,
        )
    ).all()
    return sum(
        (max(Decimal(str(equity or 0)) - Decimal(str(cash)), Decimal(0)) for equity, cash in rows),
        Decimal(0),
    )


def apply_fill(deployment: Deployment, side: str, outcome: OrderOutcome) -> None:
    """Move the deployment's cash and units by one fill (fee in the quote currency)."""
    if outcome.units <= 0:
        return
    if side == "buy":
        deployment.cash -= outcome.value + outcome.fee
        deployment.units += outcome.units
    else:
        deployment.cash += outcome.value - outcome.fee
        deployment.units -= outcome.units
        if deployment.units < 0:
            deployment.units = Decimal(0)


def _record_outcome(decision: Decision, outcome: OrderOutcome) -> None:
    decision.order_id = outcome.order_id
    decision.filled_units = outcome.units
    decision.filled_price = outcome.price
    decision.fee = outcome.fee
    if outcome.status == FILLED:
        decision.outcome = "ordered"
        decision.reason = f"{decision.side} {outcome.units} at {outcome.price}"
    elif outcome.status == REJECTED:
        decision.outcome = "failed"
        decision.reason = f"the broker refused the order: {outcome.reason or 'no reason given'}"
    elif outcome.status == OPEN:
        decision.outcome = "ordered"
        decision.reason = "order open at the broker"
    else:
        decision.outcome = "pending"
        decision.reason = outcome.reason or "order state unknown: waiting for reconciliation"


def settle_pending(ctx: TickContext, session: Session, deployment: Deployment) -> int:
    """Settle this deployment's decisions left ``pending`` (a crash or timeout after sending)
    from the broker by client order id; never re-sends. Returns how many remain pending."""
    pending = list(
        session.execute(
            sa.select(Decision).where(
                Decision.deployment_id == deployment.id, Decision.outcome == "pending"
            )
        ).scalars()
    )
    if not pending:
        return 0
    gateway = ctx.gateway_for(deployment)
    remaining = 0
    for decision in pending:
        outcome = gateway.outcome(decision.client_order_id or "")
        if outcome is None or outcome.status not in (FILLED, REJECTED):
            remaining += 1
            continue
        _record_outcome(decision, outcome)
        decision.reason = (decision.reason or "") + " (settled after a restart)"
        if outcome.status == FILLED:
            apply_fill(deployment, decision.side or "buy", outcome)
            deployment.applied_target = decision.target
        session.add(decision)
    return remaining


def run_tick(
    ctx: TickContext, deployment_id: uuid.UUID, now: dt.datetime | None = None
) -> TickResult:
    """Run one tick of one deployment for the bar that closed most recently."""
    now = now or ctx.clock()
    pending_order: tuple[Decision, PlannedOrder] | None = None
    events: list[tuple[str, str, str]] = []
    # Nothing is written until the broker calls of the decision are done: a live broker writes
    # on its own connections (the audit of its key's decryption, each request's nonce, fills it
    # reconciles), and on SQLite a write held open here would lock it out (until the busy
    # timeout). The deployment's row lock (PostgreSQL) still keeps two ticks apart.
    with session_scope(ctx.engine) as session, session.no_autoflush:
        deployment = _lock(session, deployment_id)
        if deployment is None or deployment.status not in ("running", "halted"):
            return TickResult("skipped", "not running")
        close = bar_close(now, deployment.bar_seconds)
        bar_time = close - dt.timedelta(seconds=deployment.bar_seconds)
        if _decided(session, deployment.id, bar_time) is not None:
            settle_pending(ctx, session, deployment)
            return TickResult("skipped", "bar already decided")
        decision, pending_order = _decide(ctx, session, deployment, now, close, bar_time, events)
        session.add(decision)
        session.add(deployment)
        session.flush()
        decision_id = decision.id
    if pending_order is not None:
        decision, order = pending_order
        _send(ctx, deployment_id, decision_id, order, events)
    for kind, name, text in events:
        ctx.events.emit(kind, name, text)
    with session_scope(ctx.engine) as session:
        final = session.get(Decision, decision_id)
        return TickResult(final.outcome, final.reason, decision_id, final.equity)


def _decide(
    ctx: TickContext,
    session: Session,
    deployment: Deployment,
    now: dt.datetime,
    close: dt.datetime,
    bar_time: dt.datetime,
    events: list[tuple[str, str, str]],
) -> tuple[Decision, tuple[Decision, PlannedOrder] | None]:
    """Everything up to the broker call, in the deployment's locked transaction."""
    decision = Decision(
        deployment_id=deployment.id,
        bar_time=bar_time,
        decided_at=now,
        inputs_hash="",
        units_before=deployment.units,
        cash_before=deployment.cash,
        outcome="held",
    )
    deployment.last_tick_at = now
    deployment.updated_at = now
    try:
        still_pending = settle_pending(ctx, session, deployment)
    except Exception as error:  # the broker cannot say: count them as unknown
        log.warning("deployment %s: pending orders not settled: %s", deployment.name, error)
        still_pending = 1
    if deployment.status == "halted":
        if deployment.halted_until is not None and now >= deployment.halted_until:
            deployment.status, deployment.status_reason = "running", None
            deployment.halted_until = None
            deployment.day_start_equity, deployment.day_started = None, None
        else:
            decision.outcome = "halted"
            decision.reason = f"halted: {deployment.status_reason}"
            return decision, None
    if deployment.mode == "live" and not (deployment.gate or {}).get("passed"):
        # Only `omc floor promote --live` writes a passed gate; a live row without one (written
        # by hand, or by an older omc) never trades real money.
        decision.outcome = "failed"
        decision.reason = "live deployment without a passed live gate: promote it with --live"
        decision.checks = []
        return decision, None
    limits = ctx.limits_of(deployment)
    try:
        resolved = resolve_target(deployment.target, deployment.params)
        bars = tick_bars(
            session,
            deployment.coin,
            deployment.quote,
            deployment.bar_seconds,
            until=close,
            as_of=now,
            lookback=lookback_bars(resolved.strategy, resolved.params),
        )
        from omc.backtest.execution import checked_targets

        targets = checked_targets(
            resolved.strategy.targets(bars, resolved.params), len(bars), resolved.strategy.name
        )
    except Exception as error:  # no data, a strategy error: fail closed and say why
        decision.outcome = "failed"
        decision.reason = f"no target: {getattr(error, 'message', None) or error}"
        decision.checks = []
        log.warning("deployment %s: %s", deployment.name, decision.reason)
        return decision, None
    decision.inputs_hash = inputs_hash(bars, deployment)
    decision.target = float(targets[-1])
    deployment.last_bar_at = bars.index[-1].to_pydatetime()
    latest = latest_price(session, deployment.coin, deployment.quote, now)
    price = latest.last if latest else None
    decision.price = price
    equity = _equity(deployment, price)
    decision.equity = equity
    if price is not None:
        deployment.last_equity = equity
        deployment.peak_equity = max(deployment.peak_equity or equity, equity)
        if deployment.day_started != now.date() or deployment.day_start_equity is None:
            deployment.day_started = now.date()
            deployment.day_start_equity = equity
    try:
        gateway = ctx.gateway_for(deployment)
    except Exception as error:
        decision.outcome = "failed"
        decision.reason = f"no broker: {getattr(error, 'message', None) or error}"
        return decision, None
    planned: PlannedOrder | None = None
    applied = deployment.applied_target if deployment.applied_target is not None else 0.0
    quote = None
    if price is not None and decision.target != applied:
        sizing_price = price
        first = plan_order(
            deployment.cash,
            deployment.units,
            price,
            decision.target,
            ctx.fee_rate,
            limits.min_order_value,
        )
        if first is not None:
            quote = gateway.quote(first.side)
            sizing_price = quote.price if quote is not None else price
            planned = plan_order(
                deployment.cash,
                deployment.units,
                sizing_price,
                decision.target,
                ctx.fee_rate,
                limits.min_order_value,
            )
        if planned is None:
            deployment.applied_target = decision.target  # nothing to do: as the backtest
    unknown = gateway.unknown_orders() + still_pending
    book = risk.Book(
        equity=equity,
        position_value=deployment.units * (price or Decimal(0)),
        account_equity=_account_equity(session, deployment, price or Decimal(0)),
        day_start_equity=deployment.day_start_equity,
        peak_equity=deployment.peak_equity,
        other_exposure=_other_exposure(session, deployment),
        unknown_orders=unknown,
        kill_reason=active_kill(session, deployment.id),
    )
    market = risk.Market(
        now=now,
        last_price=price,
        last_price_at=latest.collected_at if latest else None,
        quote_price=quote.price if quote else None,
        quote_at=quote.at if quote else None,
    )
    proposal = risk.Proposal(planned.side, planned.value) if planned else None
    assessment = risk.assess(proposal, book, market, limits)
    decision.checks = [check.to_dict() for check in assessment.checks]
    if planned is not None:
        decision.side, decision.wanted_value = planned.side, planned.value
    halted = assessment.halted
    if halted is not None:
        deployment.status = "halted"
        deployment.status_reason = halted.reason
        if halted.name == "daily_loss":
            tomorrow = now.date() + dt.timedelta(days=1)
            deployment.halted_until = dt.datetime.combine(tomorrow, dt.time(0), dt.UTC)
        decision.outcome, decision.reason = "halted", halted.reason
        events.append(("halt", deployment.name, f"{deployment.name} halted: {halted.reason}"))
        return decision, None
    if unknown and planned is not None:
        events.append(
            ("unknown_order", deployment.name, f"{deployment.name}: {unknown} unknown order(s)")
        )
    blocked = assessment.blocked
    if blocked is not None and planned is not None:
        decision.outcome, decision.reason = "blocked", blocked.reason
        return decision, None
    if planned is None:
        decision.outcome = "held"
        decision.reason = (
            f"target {decision.target:g} unchanged"
            if decision.target == applied
            else f"target {decision.target:g}: no order needed"
        )
        if blocked is not None:
            decision.reason += f"; {blocked.reason}"
        return decision, None
    value = assessment.value or Decimal(0)
    order_price = quote.price if quote is not None else price
    order_units = (
        value / order_price
        if planned.side == "buy"
        else (planned.units if value == planned.value else value / order_price)
    )
    decision.order_value, decision.order_units = value, order_units
    decision.outcome = "pending"
    decision.client_order_id = f"omc-{uuid.uuid4().hex}"
    decision.reason = "order being sent"
    return decision, (decision, PlannedOrder(planned.side, value, order_units))


def _send(
    ctx: TickContext,
    deployment_id: uuid.UUID,
    decision_id: int | None,
    order: PlannedOrder,
    events: list[tuple[str, str, str]],
) -> None:
    """Send the committed pending order, then record its outcome and move the holdings."""
    with session_scope(ctx.engine) as session:
        deployment = session.get(Deployment, deployment_id)
        decision = session.get(Decision, decision_id)
        client_id = decision.client_order_id
    gateway = ctx.gateway_for(deployment)
    try:
        if order.side == "buy":
            outcome = gateway.buy(order.value, client_id)
        else:
            outcome = gateway.sell(order.units, client_id)
    except Exception as error:  # the broker call's state is not known: never re-send
        log.warning("deployment %s: order %s: %s", deployment.name, client_id, error)
        outcome = OrderOutcome("unknown", reason=f"order state unknown: {error}")
    with session_scope(ctx.engine) as session:
        deployment = _lock(session, deployment_id)
        decision = session.get(Decision, decision_id)
        _record_outcome(decision, outcome)
        if outcome.status == FILLED:
            apply_fill(deployment, order.side, outcome)
            deployment.applied_target = decision.target
            deployment.last_equity = _equity(deployment, decision.price)
            events.append(("fill", deployment.name, f"{deployment.name}: {decision.reason}"))
        elif outcome.status not in (REJECTED,):
            events.append(
                ("unknown_order", deployment.name, f"{deployment.name}: {decision.reason}")
            )
        session.add_all([decision, deployment])
