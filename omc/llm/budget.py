"""Per-session LLM budgets (seed §11.8): a call limit and a cost limit, kept in the database.

The lab opens a budget for each of its sessions and every call consumes one unit atomically
(``UPDATE … WHERE calls_used < call_limit``), so the limit holds across processes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from omc.db import session_scope
from omc.errors import EX_TEMPFAIL, NotFound, OmcError
from omc.llm.models import LLMSessionBudget, LLMUsage


class BudgetExceeded(OmcError):
    """A session used up its LLM calls or reached its cost limit."""

    exit_code = EX_TEMPFAIL


@dataclass(frozen=True)
class BudgetState:
    """How much of a session's budget is used."""

    session_id: uuid.UUID
    calls_used: int
    call_limit: int
    cost_usd: Decimal
    cost_limit_usd: Decimal | None

    @property
    def calls_left(self) -> int:
        return max(self.call_limit - self.calls_used, 0)


def open_budget(
    session: Session,
    session_id: uuid.UUID,
    user_id: uuid.UUID,
    *,
    call_limit: int = 100,
    cost_limit_usd: Decimal | None = None,
) -> LLMSessionBudget:
    """The budget of ``session_id``, created with these limits if it has none yet."""
    budget = session.get(LLMSessionBudget, session_id)
    if budget is None:
        budget = LLMSessionBudget(
            session_id=session_id,
            user_id=user_id,
            call_limit=call_limit,
            cost_limit_usd=cost_limit_usd,
        )
        session.add(budget)
        session.flush()
    return budget


def session_cost(session: Session, session_id: uuid.UUID) -> Decimal:
    total = session.execute(
        sa.select(sa.func.sum(LLMUsage.cost_usd)).where(LLMUsage.session_id == session_id)
    ).scalar()
    return Decimal(str(total)) if total is not None else Decimal(0)


def budget_state(session: Session, session_id: uuid.UUID) -> BudgetState:
    budget = session.get(LLMSessionBudget, session_id)
    if budget is None:
        raise NotFound(f"no LLM budget for session {session_id}")
    return BudgetState(
        session_id=session_id,
        calls_used=budget.calls_used,
        call_limit=budget.call_limit,
        cost_usd=session_cost(session, session_id),
        cost_limit_usd=budget.cost_limit_usd,
    )


def consume_call(engine: Engine, session_id: uuid.UUID) -> BudgetState:
    """Take one call from the session's budget, or raise :class:`BudgetExceeded` (and take none)."""
    with session_scope(engine) as session:
        budget = session.get(LLMSessionBudget, session_id)
        if budget is None:
            raise NotFound(f"no LLM budget for session {session_id}")
        cost = session_cost(session, session_id)
        if budget.cost_limit_usd is not None and cost >= budget.cost_limit_usd:
            raise BudgetExceeded(
                f"session {session_id} reached its LLM cost limit "
                f"(${cost:.4f} of ${budget.cost_limit_usd:.2f})"
            )
        taken = session.execute(
            sa.update(LLMSessionBudget)
            .where(LLMSessionBudget.session_id == session_id)
            .where(LLMSessionBudget.calls_used < LLMSessionBudget.call_limit)
            .values(calls_used=LLMSessionBudget.calls_used + 1)
        ).rowcount
        if not taken:
            raise BudgetExceeded(
                f"session {session_id} used all {budget.call_limit} of its LLM calls"
            )
        session.expire_all()
        return budget_state(session, session_id)


def set_limits(
    session: Session,
    session_id: uuid.UUID,
    *,
    call_limit: int | None = None,
    cost_limit_usd: Decimal | None = None,
) -> LLMSessionBudget:
    """Change a session's limits (``omc lab resume --max-calls/--budget-usd``); None keeps one."""
    budget = session.get(LLMSessionBudget, session_id)
    if budget is None:
        raise NotFound(f"no LLM budget for session {session_id}")
    if call_limit is not None:
        budget.call_limit = call_limit
    if cost_limit_usd is not None:
        budget.cost_limit_usd = cost_limit_usd
    session.flush()
    return budget
