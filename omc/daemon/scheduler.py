"""APScheduler 3.x wiring: which source runs how often, kept in step with the settings.

Source jobs run on a thread pool (one thread per running source, one instance per source at a
time, late runs coalesced); the heartbeat and the watchdog have their own single-thread
executors so a slow source never delays the signs of life systemd watches.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from omc.errors import ConfigProblem
from omc.ledgers.source import Source
from omc.settings import Settings

log = logging.getLogger(__name__)
SOURCE_JOB_PREFIX = "source:"


@dataclass(frozen=True)
class JobPlan:
    """One source as the daemon will run it."""

    source: Source
    interval_seconds: float
    enabled: bool
    reason: str | None = None  # why it does not run: disabled, not configured


def load_source_modules(names: list[str]) -> None:
    """Import plug-in modules that register extra sources (``collect.source_modules``)."""
    for name in names:
        try:
            importlib.import_module(name)
        except ImportError as error:
            raise ConfigProblem(
                f"collect.source_modules: cannot import {name!r}: {error}"
            ) from None


def interval_of(source: Source, settings: Settings) -> float:
    override = settings.collect.intervals.get(source.name)
    return float(override) if override else source.interval_for(settings).total_seconds()


def plan_jobs(settings: Settings, stored: Collection[str] = ()) -> list[JobPlan]:
    """Every registered source with its interval and whether it runs, from the settings and
    the names of the collector keys ``stored`` in the vault."""
    from omc.ledgers.registry import all_sources

    load_source_modules(settings.collect.source_modules)
    sources = all_sources()
    known = {source.name for source in sources}
    unknown = sorted(set(settings.collect.disabled) - known)
    if unknown:
        log.warning("collect.disabled names unknown source(s): %s", ", ".join(unknown))
    plans = []
    for source in sources:
        interval = interval_of(source, settings)
        missing = source.missing_settings(settings, stored)
        if source.name in settings.collect.disabled:
            plans.append(JobPlan(source, interval, False, "disabled in collect.disabled"))
        elif missing:
            plans.append(JobPlan(source, interval, False, "not configured: " + ", ".join(missing)))
        else:
            plans.append(JobPlan(source, interval, True))
    return plans


def build_scheduler(max_workers: int) -> BackgroundScheduler:
    return BackgroundScheduler(
        executors={
            "default": ThreadPoolExecutor(max_workers),
            "heartbeat": ThreadPoolExecutor(1),
            "watchdog": ThreadPoolExecutor(1),
            "floor-sync": ThreadPoolExecutor(1),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        timezone=dt.UTC,
    )


def reconcile(
    scheduler: BackgroundScheduler,
    plans: list[JobPlan],
    make_job: Callable[[JobPlan], Callable[[], None]],
) -> dict[str, Any]:
    """Add, re-time or remove source jobs so the scheduler matches ``plans``."""
    wanted = {SOURCE_JOB_PREFIX + plan.source.name: plan for plan in plans if plan.enabled}
    changes: dict[str, list[str]] = {"added": [], "removed": [], "retimed": []}
    for job in scheduler.get_jobs():
        if job.id.startswith(SOURCE_JOB_PREFIX) and job.id not in wanted:
            scheduler.remove_job(job.id)
            changes["removed"].append(job.id.removeprefix(SOURCE_JOB_PREFIX))
    now = dt.datetime.now(dt.UTC)
    for job_id, plan in wanted.items():
        existing = scheduler.get_job(job_id)
        if existing is None:
            scheduler.add_job(
                make_job(plan),
                "interval",
                seconds=plan.interval_seconds,
                id=job_id,
                name=plan.source.name,
                next_run_time=now,
                executor="default",
            )
            changes["added"].append(plan.source.name)
        elif existing.trigger.interval.total_seconds() != plan.interval_seconds:
            existing.reschedule("interval", seconds=plan.interval_seconds)
            changes["retimed"].append(plan.source.name)
    return changes


def add_every(
    scheduler: BackgroundScheduler, job_id: str, seconds: float, func: Callable[[], None]
) -> None:
    """A control job (heartbeat, watchdog) on its own executor, first run now."""
    scheduler.add_job(
        func,
        "interval",
        seconds=seconds,
        id=job_id,
        name=job_id,
        executor=job_id,
        next_run_time=dt.datetime.now(dt.UTC),
    )
