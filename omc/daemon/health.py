"""``omc collect status`` as data: is the collector alive, and how fresh is each source.

Read from the same tables the daemon writes (``daemon_instances``, ``collector_runs``).
A source is *stale* when its newest stored rows are older than ``collect.stale_factor`` times
its interval. A source that has never stored a row is reported as *no data*, not stale: on a
fresh install nothing has run yet, and once the collector runs, its failures say why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.daemon.heartbeat import latest, liveness
from omc.db import as_utc, utcnow
from omc.ledgers.runs import CollectorRun
from omc.settings import Settings

RUNS = CollectorRun.__table__
COLLECTOR_ROLES = ("collector", "all")


def _iso(value: Any) -> str | None:
    return as_utc(value).isoformat() if value is not None else None


def _per_source(connection: sa.Connection, since: dt.datetime) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}

    def put(query: sa.Select, key: str) -> None:
        for row in connection.execute(query):
            found.setdefault(row[0], {})[key] = row[1]

    last = sa.func.max(RUNS.c.started_at)
    put(sa.select(RUNS.c.source, last).group_by(RUNS.c.source), "last_run")
    ok = RUNS.c.status.in_(("ok", "empty"))
    put(sa.select(RUNS.c.source, last).where(ok).group_by(RUNS.c.source), "last_success")
    wrote = RUNS.c.rows_inserted + RUNS.c.rows_updated
    put(
        sa.select(RUNS.c.source, sa.func.max(RUNS.c.finished_at))
        .where(ok, wrote > 0)
        .group_by(RUNS.c.source),
        "newest_rows_at",
    )
    put(
        sa.select(RUNS.c.source, sa.func.coalesce(sa.func.sum(wrote), 0))
        .where(RUNS.c.started_at >= since)
        .group_by(RUNS.c.source),
        "rows_24h",
    )
    for row in connection.execute(_latest_run(RUNS.c.status == "failed")):
        found.setdefault(row.source, {})["last_error"] = {
            "at": _iso(row.started_at),
            "message": row.error,
        }
    for row in connection.execute(_latest_run()):
        found.setdefault(row.source, {})["last_status"] = row.status
    return found


def _latest_run(*where: sa.ColumnElement[bool]) -> sa.Select:
    """Each source's most recent run (among those matching ``where``)."""
    newest = (
        sa.select(RUNS.c.source, sa.func.max(RUNS.c.started_at).label("at"))
        .where(*where)
        .group_by(RUNS.c.source)
        .subquery()
    )
    return sa.select(RUNS.c.source, RUNS.c.status, RUNS.c.error, RUNS.c.started_at).join(
        newest, sa.and_(RUNS.c.source == newest.c.source, RUNS.c.started_at == newest.c.at)
    )


def freshness(
    newest: dt.datetime | None, interval: float, factor: float, enabled: bool, now: dt.datetime
) -> dict[str, Any]:
    if not enabled:
        return {"state": "off", "age_seconds": None}
    if newest is None:
        return {"state": "no data", "age_seconds": None}
    age = (now - as_utc(newest)).total_seconds()
    return {"state": "stale" if age > factor * interval else "fresh", "age_seconds": round(age)}


def collect_status(
    engine: Engine, settings: Settings, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The daemon's liveness and identity, and every source's schedule and freshness."""
    from omc.daemon.scheduler import plan_jobs

    now = now or utcnow()
    row = latest(engine, COLLECTOR_ROLES)
    alive = liveness(row, settings.daemon.heartbeat_seconds, now)
    daemon: dict[str, Any] = {**alive, "pid": None, "host": None, "version": None}
    if row is not None:
        daemon.update(
            pid=row["pid"],
            host=row["host"],
            version=row["version"],
            role=row["role"],
            started_at=_iso(row["started_at"]),
            heartbeat_at=_iso(row["heartbeat_at"]),
            summary=row["summary"],
        )
    live_detail = (row or {}).get("detail") or {} if alive["alive"] else {}
    with engine.connect() as connection:
        runs = _per_source(connection, now - dt.timedelta(hours=24))
    sources = []
    for plan in plan_jobs(settings):
        name = plan.source.name
        seen = runs.get(name, {})
        health = (live_detail.get("sources") or {}).get(name, {})
        sources.append(
            {
                "name": name,
                "ledger": plan.source.ledger,
                "enabled": plan.enabled,
                "reason": plan.reason,
                "interval_seconds": plan.interval_seconds,
                "last_run": _iso(seen.get("last_run")),
                "last_status": seen.get("last_status"),
                "last_success": _iso(seen.get("last_success")),
                "last_error": seen.get("last_error"),
                "rows_24h": int(seen.get("rows_24h") or 0),
                "consecutive_failures": health.get("consecutive_failures"),
                "freshness": freshness(
                    seen.get("newest_rows_at"),
                    plan.interval_seconds,
                    settings.collect.stale_factor,
                    plan.enabled,
                    now,
                ),
            }
        )
    stale = [s["name"] for s in sources if s["freshness"]["state"] == "stale"]
    no_data = [s["name"] for s in sources if s["freshness"]["state"] == "no data"]
    return {
        "daemon": daemon,
        "sources": sources,
        "stale": stale,
        "no_data": no_data,
        "checked_at": now.isoformat(),
    }


def summary_line(report: dict[str, Any]) -> str:
    """One line for ``omc status``."""
    daemon = report["daemon"]
    if daemon["alive"]:
        text = (
            f"collector running (pid {daemon['pid']} on {daemon['host']}, "
            f"heartbeat {daemon['heartbeat_age_seconds']}s ago)"
        )
    elif daemon["state"] == "never started":
        text = "collector never started (`omc collect start`)"
    else:
        text = f"collector not running ({daemon['state']})"
    if report["stale"]:
        text += f"; stale: {', '.join(report['stale'])}"
    if daemon["alive"] and report["no_data"]:
        text += f"; no data yet: {', '.join(report['no_data'])}"
    return text
