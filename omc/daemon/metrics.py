"""Optional Prometheus metrics on loopback: per-source runs, errors, rows and last success.

Only built when ``--metrics-port`` (or ``daemon.metrics_port``) is set; a private registry keeps
the exposition to omc's own series.
"""

from __future__ import annotations

from typing import Protocol

LOOPBACK = "127.0.0.1"


class Metrics(Protocol):
    def observe(self, source: str, status: str, rows: int, finished_at: float) -> None: ...


class NoMetrics:
    """Used when no metrics port is configured."""

    def observe(self, source: str, status: str, rows: int, finished_at: float) -> None:
        return None


class PrometheusMetrics:
    """Counters and a gauge per source, served by ``prometheus_client`` on 127.0.0.1."""

    def __init__(self, port: int) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

        self.registry = CollectorRegistry()
        self.runs = Counter(
            "omc_source_runs",
            "Collection runs per source and status",
            ["source", "status"],
            registry=self.registry,
        )
        self.errors = Counter(
            "omc_source_errors",
            "Failed collection runs per source",
            ["source"],
            registry=self.registry,
        )
        self.rows = Counter(
            "omc_source_rows_written",
            "Rows inserted or updated per source",
            ["source"],
            registry=self.registry,
        )
        self.last_success = Gauge(
            "omc_source_last_success_timestamp_seconds",
            "Unix time of the last successful run per source",
            ["source"],
            registry=self.registry,
        )
        self.server, self.thread = start_http_server(port, addr=LOOPBACK, registry=self.registry)

    def observe(self, source: str, status: str, rows: int, finished_at: float) -> None:
        self.runs.labels(source=source, status=status).inc()
        if status == "failed":
            self.errors.labels(source=source).inc()
        if rows:
            self.rows.labels(source=source).inc(rows)
        if status in ("ok", "empty"):
            self.last_success.labels(source=source).set(finished_at)

    def close(self) -> None:
        self.server.shutdown()


def build_metrics(port: int | None) -> Metrics:
    return PrometheusMetrics(port) if port else NoMetrics()
