"""Deployments as a person manages them: promote, find, pause, resume, stop, list.

``promote`` only writes a ``deployments`` row; the floor daemon picks it up from the database
at its next sync. Live promotion goes through :mod:`omc.floor.trading.gate` first.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlmodel import select

from omc.core import audit
from omc.db import utcnow
from omc.errors import NotFound, UsageProblem
from omc.floor.trading.limits import parse_overrides, resolve_limits
from omc.floor.trading.models import Deployment
from omc.floor.trading.targets import resolve_target
from omc.settings import Settings

DEFAULT_ACCOUNT = "default"


@dataclass(frozen=True)
class PromoteRequest:
    """What ``omc floor promote`` was asked for."""

    target: str
    coin: str
    quote: str = "AUD"
    mode: str = "paper"
    capital: str = "500"
    account: str = DEFAULT_ACCOUNT
    bar_seconds: int = 3600
    params: Mapping[str, object] = field(default_factory=dict)
    limits: list[str] = field(default_factory=list)
    name: str | None = None


def parse_capital(text: str) -> Decimal:
    try:
        capital = Decimal(str(text).strip())
    except InvalidOperation:
        raise UsageProblem(f"--capital must be an amount like 500, got {text!r}") from None
    if not capital.is_finite() or capital <= 0:
        raise UsageProblem(f"--capital must be more than 0, got {text!r}")
    return capital


def build_deployment(settings: Settings, user_id: uuid.UUID, request: PromoteRequest) -> Deployment:
    """The row a promotion would write, checked (strategy, parameters, limits, capital)."""
    if request.mode not in ("paper", "live", "replay"):
        raise UsageProblem(f"unknown mode {request.mode!r}; use paper or live")
    resolved = resolve_target(request.target, request.params)
    overrides = parse_overrides(request.limits)
    resolve_limits(settings.floor, overrides, settings.backtest.minimum_order_value)
    capital = parse_capital(request.capital)
    coin, quote = request.coin.strip().upper(), request.quote.strip().upper()
    if not coin:
        raise UsageProblem("--coin is needed (like --coin BTC)")
    return Deployment(
        user_id=user_id,
        name=request.name or "",
        target=resolved.target,
        target_version=resolved.version,
        params=resolved.params,
        coin=coin,
        quote=quote,
        mode=request.mode,
        account=request.account.strip() or DEFAULT_ACCOUNT,
        bar_seconds=request.bar_seconds,
        capital=capital,
        cash=capital,
        units=Decimal(0),
        limits=overrides,
        status="running",
        peak_equity=capital,
        last_equity=capital,
    )


def _free_name(session: Session, user_id: uuid.UUID, base: str) -> str:
    taken = set(
        session.execute(
            sa.select(Deployment.__table__.c.name).where(Deployment.__table__.c.user_id == user_id)
        ).scalars()
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def save_deployment(
    session: Session, deployment: Deployment, gate: dict[str, Any] | None = None
) -> Deployment:
    """Insert the deployment (naming it if unnamed) and audit the promotion."""
    base = deployment.name or (
        f"{deployment.target.removeprefix('algo:').split('@')[0]}-"
        f"{deployment.coin.lower()}-{deployment.mode}"
    )
    if deployment.name and _exists(session, deployment.user_id, deployment.name):
        raise UsageProblem(f"a deployment named {deployment.name!r} already exists")
    deployment.name = _free_name(session, deployment.user_id, base.replace("_", "-"))
    deployment.gate = gate
    session.add(deployment)
    session.flush()
    audit.record(
        session,
        "floor.promote",
        user_id=deployment.user_id,
        target=f"deployments:{deployment.id}",
        detail={
            "name": deployment.name,
            "target": deployment.target,
            "mode": deployment.mode,
            "coin": deployment.coin,
            "quote": deployment.quote,
            "capital": str(deployment.capital),
            "gate": gate,
        },
    )
    return deployment


def _exists(session: Session, user_id: uuid.UUID, name: str) -> bool:
    query = select(Deployment).where(Deployment.user_id == user_id, Deployment.name == name)
    return session.exec(query).first() is not None  # type: ignore[attr-defined]


def find_deployment(session: Session, user_id: uuid.UUID, ref: str) -> Deployment:
    """A deployment of the user by name, or by id (a unique prefix of it is enough)."""
    ref = ref.strip()
    query = select(Deployment).where(Deployment.user_id == user_id)
    rows = list(session.exec(query))  # type: ignore[attr-defined]
    for row in rows:
        if row.name == ref:
            return row
    matches = [row for row in rows if str(row.id).startswith(ref.lower())] if len(ref) >= 4 else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        raise UsageProblem(f"{ref!r} matches {len(matches)} deployments; give more of the id")
    names = ", ".join(sorted(row.name for row in rows if row.mode != "replay")) or "none yet"
    raise NotFound(f"no deployment {ref!r}; deployments: {names}")


def list_deployments(session: Session, user_id: uuid.UUID) -> list[Deployment]:
    query = (
        select(Deployment)
        .where(Deployment.user_id == user_id, Deployment.mode != "replay")
        .order_by(Deployment.created_at)
    )
    return list(session.exec(query))  # type: ignore[attr-defined]


def set_status(
    session: Session, deployment: Deployment, status: str, reason: str | None, by: str
) -> Deployment:
    """Pause, resume or stop a deployment (a stopped one never trades again)."""
    if deployment.status == "stopped" and status != "stopped":
        raise UsageProblem(f"deployment {deployment.name} is stopped; promote it again instead")
    previous = deployment.status
    deployment.status = status
    deployment.status_reason = reason
    deployment.halted_until = None
    if status == "running" and previous == "halted":
        # A resume after a halt starts the limits afresh from the equity now.
        deployment.peak_equity = deployment.last_equity
        deployment.day_start_equity = deployment.last_equity
    deployment.updated_at = utcnow()
    session.add(deployment)
    audit.record(
        session,
        f"floor.{ {'running': 'resume', 'paused': 'pause', 'stopped': 'stop'}[status] }",
        user_id=deployment.user_id,
        target=f"deployments:{deployment.id}",
        detail={"name": deployment.name, "from": previous, "reason": reason, "by": by},
    )
    session.flush()
    return deployment


def running_deployments(connection: Session | sa.Connection) -> list[dict[str, Any]]:
    """Every deployment the floor daemon schedules: running or halted, paper or live."""
    table = Deployment.__table__
    rows = connection.execute(
        sa.select(table.c.id, table.c.bar_seconds, table.c.name).where(
            table.c.status.in_(("running", "halted")), table.c.mode.in_(("paper", "live"))
        )
    ).mappings()
    return [dict(row) for row in rows]
