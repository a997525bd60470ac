"""A source's scheduled job: run it once, remember failures, and back off a failing source.

A first failure is retried at the next run; after that the source waits ``interval × 2^(n-1)``
(capped by ``collect.backoff_max_seconds``) before its next attempt. Skipped rounds write no
``collector_runs`` row. Every run is wrapped so nothing escapes into the scheduler.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Engine

from omc.daemon.metrics import Metrics, NoMetrics
from omc.ledgers.runner import run_source
from omc.ledgers.source import CollectContext, Source

log = logging.getLogger(__name__)


@dataclass
class SourceHealth:
    """What the daemon remembers about one source between runs."""

    consecutive_failures: int = 0
    retry_after: float = 0.0  # time.monotonic() before which the source is not run
    last_error: str | None = None
    runs: int = 0

    def delay_after_failure(self, interval: float, cap: float) -> float:
        if self.consecutive_failures <= 1:
            return 0.0
        return min(interval * 2 ** (self.consecutive_failures - 1), cap)

    def as_dict(self) -> dict[str, Any]:
        wait = max(self.retry_after - time.monotonic(), 0.0)
        return {
            "consecutive_failures": self.consecutive_failures,
            "backoff_seconds": round(wait, 1),
            "last_error": self.last_error,
            "runs": self.runs,
        }


class InFlight:
    """Counts running jobs so a stop can wait for them, within a bound."""

    def __init__(self) -> None:
        self._count = 0
        self._condition = threading.Condition()

    def __enter__(self) -> None:
        with self._condition:
            self._count += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._condition:
            self._count -= 1
            self._condition.notify_all()

    @property
    def count(self) -> int:
        return self._count

    def wait_idle(self, timeout: float) -> bool:
        with self._condition:
            return self._condition.wait_for(lambda: self._count == 0, timeout=timeout)


@dataclass
class SourceJob:
    """Callable the scheduler runs at the source's interval."""

    source: Source
    engine: Engine
    context: Callable[[], CollectContext]
    interval_seconds: float
    backoff_max_seconds: float
    in_flight: InFlight
    may_run: Callable[[], bool] = lambda: True
    metrics: Metrics = field(default_factory=NoMetrics)
    health: SourceHealth = field(default_factory=SourceHealth)
    stopping: threading.Event = field(default_factory=threading.Event)

    def __call__(self) -> None:
        if self.stopping.is_set() or time.monotonic() < self.health.retry_after:
            return
        with self.in_flight:
            try:
                if not self.may_run():
                    return
                self._run()
            except Exception as error:  # the database is down, the lock is lost, a bug
                self._failed(f"{type(error).__name__}: {str(error).splitlines()[0][:200]}")
                log.warning("source %s: run not recorded: %s", self.source.name, error)

    def _run(self) -> None:
        result = run_source(self.engine, self.context(), self.source)
        self.health.runs += 1
        rows = result.rows_inserted + result.rows_updated
        finished = result.finished_at or dt.datetime.now(dt.UTC)
        self.metrics.observe(self.source.name, result.status, rows, finished.timestamp())
        if result.status == "failed":
            self._failed(result.error or "failed")
        elif result.status == "cancelled":
            pass  # a requested stop: neither a failure nor a recovery
        else:
            if self.health.consecutive_failures:
                log.info("source %s recovered", self.source.name)
            self.health.consecutive_failures = 0
            self.health.retry_after = 0.0
            self.health.last_error = None

    def _failed(self, error: str) -> None:
        health = self.health
        health.consecutive_failures += 1
        health.last_error = error
        delay = health.delay_after_failure(self.interval_seconds, self.backoff_max_seconds)
        health.retry_after = time.monotonic() + delay - self.interval_seconds / 2 if delay else 0.0
        if delay:
            log.warning(
                "source %s failed %d times in a row; next attempt in %.0fs",
                self.source.name,
                health.consecutive_failures,
                delay,
            )
