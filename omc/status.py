"""``omc status``: one report of what is configured and what answers.

Each part is gathered by its own small function so later domains (daemon, ledgers, lab, floor)
add theirs without touching the others. A part that fails reports its error instead of
stopping the report.
"""

from __future__ import annotations

from typing import Any

import omc
from omc.errors import OmcError
from omc.runtime import Runtime
from omc.settings import mask_url, secret_file_warnings

NOT_YET = "not available yet"
DATABASE_NOT_READY = "unknown (the database is not reachable or not at the schema head)"


def database_status(runtime: Runtime) -> dict[str, Any]:
    settings = runtime.settings
    report: dict[str, Any] = {
        "url": mask_url(settings.effective_database_url),
        "embedded": settings.is_embedded_database,
        "reachable": False,
        "at_head": False,
        "current_revision": None,
        "head_revision": None,
        "error": None,
    }
    try:
        engine = runtime.engine(check_schema=False)
        report["reachable"] = True
        from omc.schema import schema_state

        if settings.is_embedded_database:
            runtime.engine()  # brings the embedded database to head, as every command does
        state = schema_state(engine)
        report.update(
            current_revision=state["current"],
            head_revision=state["head"],
            at_head=state["at_head"],
        )
        if not state["at_head"]:
            report["error"] = "schema behind head: run `omc db upgrade`"
    except OmcError as error:
        report["error"] = error.message
    return report


def redis_status(runtime: Runtime) -> dict[str, Any]:
    url = runtime.settings.redis_url
    if not url:
        return {"configured": False, "url": None, "reachable": None, "error": None}
    from omc.cache import ping_redis

    try:
        ping_redis(url)
    except OmcError as error:
        return {
            "configured": True,
            "url": mask_url(url),
            "reachable": False,
            "error": error.message,
        }
    return {"configured": True, "url": mask_url(url), "reachable": True, "error": None}


def daemon_status(runtime: Runtime) -> dict[str, Any]:
    """The collector daemon's liveness and stale sources (``omc collect status`` in one line)."""
    try:
        from omc.daemon.health import collect_status, summary_line

        report = collect_status(runtime.engine(), runtime.settings)
    except OmcError as error:
        return {"state": f"unknown: {error.message}", "alive": None, "stale": []}
    return {
        "state": summary_line(report),
        "alive": report["daemon"]["alive"],
        "pid": report["daemon"]["pid"],
        "heartbeat_age_seconds": report["daemon"]["heartbeat_age_seconds"],
        "stale": report["stale"],
    }


def ledgers_status(runtime: Runtime) -> dict[str, Any]:
    """How much each ledger holds: price bars and coins, then rows per ledger table."""
    from omc.ledgers.tools import get_data_statistics

    try:
        with runtime.session() as session:
            stats = get_data_statistics(session)
    except OmcError as error:
        return {"state": f"unknown: {error.message}", "rows": {}}
    rows = {name: table.get("rows", 0) for name, table in stats.items()}
    prices = stats.get("price_data_5min", {})
    others = ", ".join(
        f"{name} {count:,}" for name, count in rows.items() if name != "price_data_5min"
    )
    coins = len(prices.get("coins", []))
    state = (
        f"{rows.get('price_data_5min', 0):,} price bars ({coins} coin{'' if coins == 1 else 's'})"
    )
    return {"state": f"{state}; {others}" if others else state, "rows": rows}


def lab_status(runtime: Runtime) -> dict[str, Any]:
    """The sandbox's layers on this host (found by trying them, without starting the sandbox)."""
    from omc.lab.sandbox.layers import detect_layers, summary

    layers = detect_layers()
    return {"state": summary(layers), "sandbox_layers": [layer.to_dict() for layer in layers]}


def gather_status(runtime: Runtime) -> dict[str, Any]:
    """Everything ``omc status`` shows, as plain data (the CLI renders it or prints JSON)."""
    settings = runtime.settings
    database = database_status(runtime)
    redis = redis_status(runtime)
    return {
        "version": omc.__version__,
        "home": str(settings.home),
        "user": runtime.username,
        "database": database,
        "redis": redis,
        "daemon": daemon_status(runtime) if database["at_head"] else {"state": DATABASE_NOT_READY},
        "ledgers": ledgers_status(runtime)
        if database["at_head"]
        else {"state": DATABASE_NOT_READY},
        "lab": lab_status(runtime),
        "floor": {"state": NOT_YET},
        "warnings": secret_file_warnings(runtime.loaded),
        "healthy": bool(
            database["reachable"] and database["at_head"] and redis["reachable"] is not False
        ),
    }
