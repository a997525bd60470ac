"""The daemon process: start the scheduler, answer signals, beat, reload, and stop in bounded time.

SIGTERM and SIGINT stop it: no new runs start, running ones (source runs, trading ticks) get
``daemon.stop_timeout_seconds`` to finish (each source stores in one transaction and a tick
commits its order before sending it, so an abandoned run leaves nothing half written), then
the process exits 0. The floor role runs :class:`~omc.daemon.floor_jobs.FloorJobs`. SIGHUP
reloads the settings and re-plans the jobs. It tells
systemd what it is doing through :class:`~omc.daemon.notify.Notifier`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from types import FrameType
from typing import Any

from omc.daemon.heartbeat import Identity, beat, latest, liveness, register
from omc.daemon.jobs import InFlight, SourceJob
from omc.daemon.lock import CollectorAlreadyRunning, CollectorLock
from omc.daemon.notify import Notifier
from omc.errors import OmcError, UsageProblem
from omc.ledgers.source import RunCancelled
from omc.runtime import Runtime

log = logging.getLogger(__name__)
ROLES = ("collector", "floor", "all")
LOOP_TICK_SECONDS = 0.2


class DaemonStopping(RunCancelled):
    """Raised inside a source's retry or rate-limit sleep when the daemon is stopping."""


class Daemon:
    """One daemon process of a role; :meth:`run` returns the exit code."""

    def __init__(
        self, role: str, overrides: dict[str, Any] | None = None, notifier: Notifier | None = None
    ) -> None:
        if role not in ROLES:
            raise UsageProblem(f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
        self.role = role
        self.overrides = overrides or {}
        self.notifier = notifier or Notifier()
        self.exit_code = 0
        self.jobs: dict[str, SourceJob] = {}
        self.plans: list[Any] = []
        self.in_flight = InFlight()
        self.stopping = threading.Event()
        self._stop = threading.Event()
        self._reload = threading.Event()
        self._lock: CollectorLock | None = None
        self._floor_lock: CollectorLock | None = None
        self.floor: Any = None
        self._context: Any = None
        self._stored_keys: set[str] = set()

    @property
    def collects(self) -> bool:
        return self.role in ("collector", "all")

    @property
    def trades(self) -> bool:
        return self.role in ("floor", "all")

    # --- setup -----------------------------------------------------------------------------

    def _load(self) -> Runtime:
        from omc.settings import load_settings

        runtime = Runtime(
            loaded=load_settings(overrides=self.overrides),
            application_name=f"omc-{self.role}:{os.getpid()}",
        )
        self._configure_logging(runtime)
        return runtime

    def _configure_logging(self, runtime: Runtime) -> None:
        from omc.logging_setup import configure_logging
        from omc.redaction import secrets_in

        settings = runtime.settings
        daemon = settings.daemon
        configure_logging(
            settings.log_level,
            log_format=daemon.log_format,
            log_file=settings.home / "logs" / f"omc-{self.role}.log"
            if daemon.log_to_file
            else None,
            max_bytes=daemon.log_max_bytes,
            backups=daemon.log_backups,
            secrets=secrets_in(settings),
            loggers=("omc", "apscheduler"),
        )

    def _sleep(self, seconds: float) -> None:
        if self.stopping.wait(seconds):
            raise DaemonStopping("the daemon was asked to stop; run abandoned before storing")

    def _make_context(self, runtime: Runtime) -> Any:
        from omc.ledgers.service import collect_context

        context = collect_context(runtime)
        context.sleep = self._sleep
        if self._context is not None:  # a reload keeps the open connections and rate limits
            context.connections = self._context.connections
        return context

    def _install_signals(self) -> None:
        def stop(signum: int, _frame: FrameType | None) -> None:
            log.info("received %s: stopping", signal.Signals(signum).name)
            self._stop.set()

        def reload(_signum: int, _frame: FrameType | None) -> None:
            self._reload.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGHUP, reload)

    def _acquire_lock(self, runtime: Runtime, role: str = "collector") -> CollectorLock:
        lock = CollectorLock(runtime.engine(), role)
        try:
            lock.acquire()
        except CollectorAlreadyRunning as error:
            holder = latest(runtime.engine(), (role, "all"))
            alive = liveness(holder, runtime.settings.daemon.heartbeat_seconds, _now())
            if holder and alive["alive"]:
                what = "a collector" if role == "collector" else "a floor (trading) daemon"
                how = "`omc collect stop`" if role == "collector" else "SIGTERM or systemctl stop"
                raise CollectorAlreadyRunning(
                    f"{what} is already running against this database (pid {holder['pid']} "
                    f"on {holder['host']}, heartbeat {alive['heartbeat_age_seconds']}s ago); "
                    f"stop it first with {how}"
                ) from None
            raise error from None
        return lock

    # --- jobs ------------------------------------------------------------------------------

    def _may_collect(self) -> bool:
        return self._holds(self._lock)

    def _may_trade(self) -> bool:
        return self._holds(self._floor_lock)

    def _holds(self, lock: CollectorLock | None) -> bool:
        if lock is None:
            return True
        try:
            return lock.verify()
        except CollectorAlreadyRunning as error:
            log.error("%s; stopping", error.message)
            self.exit_code = error.exit_code
            self._stop.set()
            return False

    def _make_job(self, runtime: Runtime, metrics: Any):
        def make(plan: Any) -> SourceJob:
            job = SourceJob(
                source=plan.source,
                engine=runtime.engine(),
                context=lambda: self._context,
                interval_seconds=plan.interval_seconds,
                backoff_max_seconds=runtime.settings.collect.backoff_max_seconds,
                in_flight=self.in_flight,
                may_run=self._may_collect,
                metrics=metrics,
                stopping=self.stopping,
            )
            self.jobs[plan.source.name] = job
            return job

        return make

    def _apply_plans(self, runtime: Runtime, scheduler: Any, metrics: Any) -> dict[str, Any]:
        from omc.daemon.scheduler import plan_jobs, reconcile

        if not self.collects:
            return {}
        self.plans = plan_jobs(runtime.settings, self._stored_key_names())
        changes = reconcile(scheduler, self.plans, self._make_job(runtime, metrics))
        for plan in self.plans:
            job = self.jobs.get(plan.source.name)
            if job is not None:
                job.interval_seconds = plan.interval_seconds
                job.backoff_max_seconds = runtime.settings.collect.backoff_max_seconds
        return changes

    def _stored_key_names(self) -> set[str]:
        """Names of the collector keys in the vault (no decryption); on a database hiccup,
        the names read last time, so a reload never unschedules a source by accident."""
        if self._context is None:
            return self._stored_keys
        try:
            self._stored_keys = self._context.stored_secret_names()
        except Exception as error:
            log.warning(
                "collector keys not listed (%s): using the last known", type(error).__name__
            )
        return self._stored_keys

    def summary(self) -> str:
        parts = []
        if self.collects:
            running = [plan for plan in self.plans if plan.enabled]
            failing = sorted(
                name for name, job in self.jobs.items() if job.health.consecutive_failures
            )
            text = f"{len(running)} source(s) scheduled"
            if failing:
                text += f", {len(failing)} failing ({', '.join(failing)})"
            off = len(self.plans) - len(running)
            parts.append(text + (f", {off} off" if off else ""))
        if self.trades and self.floor is not None:
            parts.append(self.floor.summary())
        return f"{self.role}: " + ("; ".join(parts) or "running")

    def detail(self) -> dict[str, Any]:
        sources = {}
        for plan in self.plans:
            job = self.jobs.get(plan.source.name)
            sources[plan.source.name] = {
                "enabled": plan.enabled,
                "interval_seconds": plan.interval_seconds,
                "reason": plan.reason,
                **(job.health.as_dict() if job and plan.enabled else {}),
            }
        detail: dict[str, Any] = {"role": self.role, "sources": sources}
        if self.trades and self.floor is not None:
            detail["floor"] = self.floor.detail()
        return detail

    def _heartbeat(self, runtime: Runtime, me: Identity, state: str = "running") -> None:
        if self.collects and not self._may_collect():
            return
        if self.trades and not self._may_trade():
            return
        summary = self.summary()
        try:
            beat(runtime.engine(), me, state, summary, self.detail())
        except Exception as error:  # the database may be restarting; the next beat retries
            log.warning("heartbeat not written: %s", type(error).__name__)
        self.notifier.status(summary)

    # --- run -------------------------------------------------------------------------------

    def run(self) -> int:
        from omc.daemon.metrics import build_metrics
        from omc.daemon.scheduler import add_every, build_scheduler

        self._install_signals()
        runtime = self._load()
        settings = runtime.settings
        engine = runtime.engine()
        if self.collects:
            self._lock = self._acquire_lock(runtime, "collector")
        if self.trades:
            try:
                self._floor_lock = self._acquire_lock(runtime, "floor")
            except CollectorAlreadyRunning:
                if self._lock is not None:
                    self._lock.release()
                raise
        me = Identity.current(self.role)
        metrics: Any = None
        scheduler: Any = None
        try:
            register(engine, me, "starting")
            metrics = build_metrics(settings.daemon.metrics_port)
            scheduler = build_scheduler(settings.daemon.max_workers)
            self._context = self._make_context(runtime)
            self._apply_plans(runtime, scheduler, metrics)
            if self.trades:
                self._start_floor(runtime, scheduler, metrics)
            add_every(
                scheduler,
                "heartbeat",
                settings.daemon.heartbeat_seconds,
                lambda: self._heartbeat(runtime, me),
            )
            if self.notifier.watchdog_seconds:
                add_every(
                    scheduler,
                    "watchdog",
                    self.notifier.watchdog_seconds / 3,
                    self.notifier.watchdog,
                )
            scheduler.start()
            self.notifier.ready(self.summary())
            log.info("omc %s daemon started (pid %d): %s", self.role, me.pid, self.summary())
            self._loop(runtime, scheduler, metrics)
        finally:
            abandoned = self._shutdown(runtime, me, scheduler, metrics)
        if abandoned:
            logging.shutdown()
            os._exit(self.exit_code)  # worker threads stuck in I/O must not hold the exit
        return self.exit_code

    def _start_floor(self, runtime: Runtime, scheduler: Any, metrics: Any) -> None:
        from omc.daemon.floor_jobs import FloorJobs
        from omc.daemon.scheduler import add_every

        self.floor = FloorJobs(
            runtime, scheduler, self.in_flight, self.stopping, metrics, self._may_trade
        )
        self.floor.sync()
        add_every(scheduler, "floor-sync", runtime.settings.floor.sync_seconds, self.floor.sync)

    def _loop(self, runtime: Runtime, scheduler: Any, metrics: Any) -> None:
        while not self._stop.is_set():
            self._stop.wait(LOOP_TICK_SECONDS)
            if self._reload.is_set():
                self._reload.clear()
                self._do_reload(runtime, scheduler, metrics)

    def _do_reload(self, runtime: Runtime, scheduler: Any, metrics: Any) -> None:
        from omc.settings import load_settings

        self.notifier.reloading()
        log.info("received SIGHUP: reloading configuration")
        try:
            loaded = load_settings(overrides=self.overrides)
            if loaded.settings.effective_database_url != runtime.settings.effective_database_url:
                log.warning("database_url changed: restart the daemon to use the new database")
            runtime.loaded = loaded
            self._configure_logging(runtime)
            self._context = self._make_context(runtime)
            changes = self._apply_plans(runtime, scheduler, metrics)
            if self.floor is not None:
                self.floor.reload(runtime)
            log.info("configuration reloaded: %s", changes or "no job changes")
        except OmcError as error:
            log.error("reload failed, keeping the previous configuration: %s", error.message)
        self.notifier.ready(self.summary())

    def _shutdown(self, runtime: Runtime, me: Identity, scheduler: Any, metrics: Any) -> bool:
        """Stop within the bound; True if running jobs had to be abandoned."""
        self.notifier.stopping()
        self.stopping.set()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        bound = runtime.settings.daemon.stop_timeout_seconds
        idle = self.in_flight.wait_idle(bound)
        if not idle:
            log.warning(
                "abandoning %d running job(s) after %.0fs; their transactions roll back",
                self.in_flight.count,
                bound,
            )
        try:
            beat(runtime.engine(), me, "stopped", f"{self.role}: stopped", stopped=True)
        except Exception as error:
            log.warning("final heartbeat not written: %s", type(error).__name__)
        if self._lock is not None:
            self._lock.release()
        if self._floor_lock is not None:
            self._floor_lock.release()
        if self._context is not None:
            self._context.connections.close()
        if metrics is not None and hasattr(metrics, "close"):
            metrics.close()
        log.info("omc %s daemon stopped", self.role)
        self.notifier.close()
        runtime.close()
        return not idle


def _now():
    from omc.db import utcnow

    return utcnow()
