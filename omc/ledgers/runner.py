"""Run collection cycles: each source fetches, validates, normalises and stores, and every
attempt is recorded in ``collector_runs``.

A source either stores its whole batch in one transaction or nothing: a malformed response or a
database error rolls the batch back and the run is recorded as ``failed`` with the reason. One
failing source never stops the others. The daemon (issue 5) calls :func:`run_source` from its
scheduler; ``omc collect run`` calls :func:`run_cycle`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import pydantic
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from omc.errors import OmcError
from omc.ledgers.http import MalformedResponse
from omc.ledgers.runs import CollectorRun
from omc.ledgers.source import CollectContext, RunCancelled, Source

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    """What one source did in one cycle (also the row written to ``collector_runs``)."""

    source: str
    ledger: str
    status: str
    started_at: Any
    finished_at: Any = None
    rows_inserted: int = 0
    rows_updated: int = 0
    error: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["started_at"] = self.started_at.isoformat()
        data["finished_at"] = self.finished_at.isoformat() if self.finished_at else None
        return data


def _describe_validation(source: Source, error: pydantic.ValidationError) -> MalformedResponse:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return MalformedResponse(
        f"{source.name}: malformed response at {where}: {first['msg']} "
        f"({error.error_count()} problem(s)); nothing stored"
    )


def run_source(engine: Engine, ctx: CollectContext, source: Source) -> RunResult:
    """Run one source once and record the run; never raises for a source's failure."""
    ctx = ctx.for_run(f"collect {source.name}")
    result = RunResult(
        source=source.name, ledger=source.ledger, status="ok", started_at=ctx.clock()
    )
    missing = ctx.missing_settings(source)
    if missing:
        result.status = "skipped"
        result.error = "not configured: set " + ", ".join(missing)
    else:
        try:
            raw = source.fetch(ctx)
            received = time.perf_counter()
            try:
                validated = source.validate(raw)
            except pydantic.ValidationError as error:
                raise _describe_validation(source, error) from None
            normalised = source.normalise(validated, ctx)
            with engine.begin() as connection:
                counts = source.store(connection, normalised)
            result.detail = dict(normalised.detail)
            result.detail["store_ms"] = round((time.perf_counter() - received) * 1000, 1)
            result.rows_inserted, result.rows_updated = counts.inserted, counts.updated
            result.status = "ok" if normalised.row_count else "empty"
            try:
                source.after_store(ctx, normalised)
            except OmcError as error:  # the rows are safe; a cache outage is only a warning
                result.detail["warning"] = _clean(ctx, str(error))
                log.warning(
                    "%s: after-store step failed: %s", source.name, result.detail["warning"]
                )
        except RunCancelled as cancelled:
            result.status, result.error = "cancelled", _clean(ctx, cancelled.message)
            log.info("source %s cancelled: %s", source.name, result.error)
        except OmcError as error:
            result.status, result.error = "failed", _clean(ctx, error.message)
            log.warning("source %s failed: %s", source.name, result.error)
        except Exception as error:
            result.status = "failed"
            result.error = _clean(ctx, f"internal error ({type(error).__name__}): {error}")
            log.exception("source %s failed unexpectedly", source.name)
    result.finished_at = ctx.clock()
    record_run(engine, result)
    return result


def _clean(ctx: CollectContext, text: str) -> str:
    """``text`` with every secret the run could have seen masked: a library may echo a key into
    an error, which ``omc collect status`` shows and the log keeps."""
    from omc.redaction import redact

    return redact(text, ctx.known_secrets())


def record_run(engine: Engine, result: RunResult) -> None:
    """Write one ``collector_runs`` row, in its own transaction."""
    table = CollectorRun.__table__
    with engine.begin() as connection:
        connection.execute(
            sa.insert(table).values(
                source=result.source,
                ledger=result.ledger,
                started_at=result.started_at,
                finished_at=result.finished_at,
                status=result.status,
                rows_inserted=result.rows_inserted,
                rows_updated=result.rows_updated,
                error=result.error,
                detail=result.detail or None,
            )
        )


def run_cycle(
    engine: Engine,
    ctx: CollectContext,
    sources: Sequence[Source],
    *,
    on_start: Callable[[Source], None] | None = None,
    on_done: Callable[[RunResult], None] | None = None,
) -> list[RunResult]:
    """Run each source once, in order; the callbacks drive a progress display."""
    results = []
    for source in sources:
        if on_start:
            on_start(source)
        result = run_source(engine, ctx, source)
        results.append(result)
        if on_done:
            on_done(result)
    return results


def source_overview(engine: Engine, ctx: CollectContext, sources: Sequence[Source]) -> list[dict]:
    """Each source with its ledger, interval, whether it is configured, last run and success."""
    table = CollectorRun.__table__
    last_run = sa.select(table.c.source, sa.func.max(table.c.started_at).label("at")).group_by(
        table.c.source
    )
    last_ok = last_run.where(table.c.status.in_(("ok", "empty")))
    with engine.connect() as connection:
        runs = {row.source: row.at for row in connection.execute(last_run)}
        successes = {row.source: row.at for row in connection.execute(last_ok)}
        latest = last_run.subquery()
        statuses = {
            row.source: row.status
            for row in connection.execute(
                sa.select(table.c.source, table.c.status).join(
                    latest,
                    sa.and_(table.c.source == latest.c.source, table.c.started_at == latest.c.at),
                )
            )
        }
    rows = []
    for source in sources:
        missing = ctx.missing_settings(source)
        rows.append(
            {
                "name": source.name,
                "ledger": source.ledger,
                "interval_seconds": int(source.interval_for(ctx.settings).total_seconds()),
                "configured": not missing,
                "missing_settings": missing,
                "last_run": _iso(runs.get(source.name)),
                "last_status": statuses.get(source.name),
                "last_success": _iso(successes.get(source.name)),
                "description": source.description,
            }
        )
    return rows


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    from omc.db import as_utc

    return as_utc(value).isoformat() if hasattr(value, "isoformat") else str(value)
