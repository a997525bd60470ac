"""The one kill switch: rows in ``kill_switches``, checked before every order.

``set_kill`` for one deployment or for all of them stops trading at the next order check (the
daemon also cancels open orders); ``lift_kill`` clears it. Nothing else in omc is a kill switch:
limits halt a single deployment and say which limit, pausing is a person's choice.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.orm import Session

from omc.db import utcnow
from omc.errors import UsageProblem
from omc.floor.trading.models import KillSwitch

TABLE = KillSwitch.__table__


def set_kill(
    session: Session, *, deployment_id: uuid.UUID | None, reason: str, by: str
) -> KillSwitch:
    """Set the kill switch for ``deployment_id`` (None: every deployment)."""
    if not reason or not reason.strip():
        raise UsageProblem('the kill switch needs a reason: --reason "…"')
    row = KillSwitch(deployment_id=deployment_id, reason=reason.strip(), set_by=by)
    session.add(row)
    session.flush()
    return row


def lift_kill(session: Session, *, deployment_id: uuid.UUID | None, by: str) -> int:
    """Lift the kill switch for ``deployment_id`` (None: the one for all); returns rows lifted."""
    scope = (
        TABLE.c.deployment_id.is_(None)
        if deployment_id is None
        else TABLE.c.deployment_id == deployment_id
    )
    result = session.execute(
        sa.update(TABLE)
        .where(TABLE.c.active.is_(True), scope)
        .values(active=False, lifted_by=by, lifted_at=utcnow())
    )
    return int(result.rowcount or 0)


def active_kill(connection: Session | sa.Connection, deployment_id: uuid.UUID) -> str | None:
    """The reason trading is killed for ``deployment_id`` (its own or the global switch)."""
    row = connection.execute(
        sa.select(TABLE.c.reason, TABLE.c.deployment_id)
        .where(
            TABLE.c.active.is_(True),
            sa.or_(TABLE.c.deployment_id.is_(None), TABLE.c.deployment_id == deployment_id),
        )
        .order_by(TABLE.c.set_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    scope = "all deployments" if row.deployment_id is None else "this deployment"
    return f"{row.reason} ({scope})"


def active_kills(connection: Session | sa.Connection) -> list[dict]:
    """Every active kill switch row, oldest first."""
    rows = connection.execute(
        sa.select(TABLE).where(TABLE.c.active.is_(True)).order_by(TABLE.c.set_at)
    ).mappings()
    return [dict(row) for row in rows]


def pending_cancellations(connection: Session | sa.Connection) -> list[dict]:
    """Active kills whose open orders the daemon has not yet cancelled."""
    rows = connection.execute(
        sa.select(TABLE).where(TABLE.c.active.is_(True), TABLE.c.orders_cancelled_at.is_(None))
    ).mappings()
    return [dict(row) for row in rows]


def mark_cancelled(connection: Session | sa.Connection, kill_id: int) -> None:
    connection.execute(
        sa.update(TABLE).where(TABLE.c.id == kill_id).values(orders_cancelled_at=utcnow())
    )
