"""The floor role's jobs: one tick job per running deployment, aligned to its bar closes, and a
sync job that follows the ``deployments`` table and the kill switch.

The CLI and the daemon meet only in the database: a promotion, pause, stop or kill is seen at
the next sync (``floor.sync_seconds``). Tick jobs run under the daemon's in-flight counter, so a
SIGTERM lets a running tick finish (its writes are ordered so nothing is ever half done).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from typing import Any

from omc.daemon.jobs import InFlight
from omc.daemon.metrics import Metrics, NoMetrics

log = logging.getLogger(__name__)
DEPLOYMENT_JOB_PREFIX = "deployment:"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class FloorJobs:
    """Keeps the scheduler's deployment jobs in step with the database and runs their ticks."""

    def __init__(
        self,
        runtime: Any,
        scheduler: Any,
        in_flight: InFlight,
        stopping: threading.Event,
        metrics: Metrics | None = None,
        may_run: Callable[[], bool] = lambda: True,
    ) -> None:
        self.runtime = runtime
        self.scheduler = scheduler
        self.in_flight = in_flight
        self.stopping = stopping
        self.metrics = metrics or NoMetrics()
        self.may_run = may_run
        self.planned: dict[uuid.UUID, dict[str, Any]] = {}
        self.last: dict[str, dict[str, Any]] = {}
        self._context: Any = None
        self.sync_error: str | None = None

    def context(self) -> Any:
        if self._context is None:
            from omc.floor.trading.notify import notifier_from
            from omc.floor.trading.tick import TickContext
            from omc.floor.trading.venues import gateway_factory

            self._context = TickContext(
                self.runtime.engine(),
                self.runtime.settings,
                gateway_factory(self.runtime),
                notifier_from(self.runtime.settings.notify),
            )
        return self._context

    def reload(self, runtime: Any) -> None:
        """New settings (SIGHUP): the next tick builds its context from them."""
        self.runtime = runtime
        self._context = None

    # --- sync ------------------------------------------------------------------------------

    def sync(self) -> None:
        """Schedule running deployments, drop the others, and act on new kill switches."""
        if self.stopping.is_set() or not self.may_run():
            return
        from omc.floor.trading.deployments import running_deployments

        try:
            with self.runtime.engine().connect() as connection:
                wanted = {row["id"]: row for row in running_deployments(connection)}
            self._cancel_for_kills()
            self.sync_error = None
        except Exception as error:  # the database may be restarting: keep the jobs we have
            self.sync_error = f"{type(error).__name__}: {str(error).splitlines()[0][:200]}"
            log.warning("floor sync failed: %s", self.sync_error)
            return
        for job in self.scheduler.get_jobs():
            if job.id.startswith(DEPLOYMENT_JOB_PREFIX):
                key = uuid.UUID(job.id.removeprefix(DEPLOYMENT_JOB_PREFIX))
                if key not in wanted:
                    self.scheduler.remove_job(job.id)
                    self.planned.pop(key, None)
                    log.info("deployment %s no longer running: unscheduled", job.name)
        delay = self.runtime.settings.floor.tick_delay_seconds
        for key, row in wanted.items():
            job_id = f"{DEPLOYMENT_JOB_PREFIX}{key}"
            if self.scheduler.get_job(job_id) is not None:
                continue
            self.scheduler.add_job(
                self._tick_job(key),
                "interval",
                seconds=row["bar_seconds"],
                start_date=EPOCH + dt.timedelta(seconds=delay),  # fires just after each close
                id=job_id,
                name=row["name"],
                next_run_time=dt.datetime.now(dt.UTC),  # pick up the bar that just closed
                executor="default",
            )
            self.planned[key] = row
            log.info("deployment %s scheduled every %ss", row["name"], row["bar_seconds"])

    def _cancel_for_kills(self) -> None:
        import sqlalchemy as sa

        from omc.db import session_scope
        from omc.floor.trading.kill import mark_cancelled, pending_cancellations
        from omc.floor.trading.models import Deployment

        engine = self.runtime.engine()
        with session_scope(engine) as session:
            kills = pending_cancellations(session)
            if not kills:
                return
            deployments = list(
                session.execute(
                    sa.select(Deployment).where(Deployment.status.in_(("running", "halted")))
                ).scalars()
            )
            for kill in kills:
                for deployment in deployments:
                    if kill["deployment_id"] in (None, deployment.id):
                        try:
                            cancelled = self.context().gateway_for(deployment).cancel_open_orders()
                        except Exception as error:
                            log.warning("kill: open orders of %s: %s", deployment.name, error)
                            continue
                        if cancelled:
                            log.info(
                                "kill: cancelled %d open order(s) of %s", cancelled, deployment.name
                            )
                mark_cancelled(session, kill["id"])
                self.context().events.emit("kill", "all", f"kill switch set: {kill['reason']}")

    # --- ticks -----------------------------------------------------------------------------

    def _tick_job(self, deployment_id: uuid.UUID) -> Callable[[], None]:
        def job() -> None:
            if self.stopping.is_set():
                return
            with self.in_flight:
                if not self.may_run():
                    return
                self.tick(deployment_id)

        return job

    def tick(self, deployment_id: uuid.UUID) -> None:
        from omc.floor.trading.tick import run_tick

        name = self.planned.get(deployment_id, {}).get("name", str(deployment_id))
        try:
            result = run_tick(self.context(), deployment_id)
        except Exception as error:  # nothing escapes into the scheduler; the next tick retries
            log.warning("deployment %s: tick failed: %s", name, error)
            self.last[name] = {"outcome": "error", "reason": str(error)[:200]}
            self.metrics.observe_tick(name, "error", None)
            return
        self.last[name] = {"outcome": result.outcome, "reason": result.reason}
        if result.outcome != "skipped":
            log.info("deployment %s: %s (%s)", name, result.outcome, result.reason)
            self.metrics.observe_tick(name, result.outcome, result.equity)

    # --- status ----------------------------------------------------------------------------

    def summary(self) -> str:
        text = f"{len(self.planned)} deployment(s) trading"
        if self.sync_error:
            text += ", database unreachable"
        return text

    def detail(self) -> dict[str, Any]:
        return {
            "deployments": {
                row["name"]: {"bar_seconds": row["bar_seconds"], **self.last.get(row["name"], {})}
                for row in self.planned.values()
            }
        }
