"""Optional Prometheus metrics on loopback: per-source runs, errors, rows and last success;
per-deployment ticks, orders, rejections and equity.

Only built when ``--metrics-port`` (or ``daemon.metrics_port``) is set; a private registry keeps
the exposition to omc's own series.
"""

from __future__ import annotations

from typing import Any, Protocol

LOOPBACK = "127.0.0.1"


class Metrics(Protocol):
    def observe(self, source: str, status: str, rows: int, finished_at: float) -> None: ...

    def observe_tick(self, deployment: str, outcome: str, equity: Any) -> None: ...


class NoMetrics:
    """Used when no metrics port is configured."""

    def observe(self, source: str, status: str, rows: int, finished_at: float) -> None:
        return None

    def observe_tick(self, deployment: str, outcome: str, equity: Any) -> None:
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
        self.ticks = Counter(
            "omc_floor_ticks",
            "Trading ticks per deployment and outcome (ordered, held, blocked, halted, failed)",
            ["deployment", "outcome"],
            registry=self.registry,
        )
        self.orders = Counter(
            "omc_floor_orders", "Orders sent per deployment", ["deployment"], registry=self.registry
        )
        self.rejections = Counter(
            "omc_floor_rejections",
            "Orders the risk engine or the broker refused, per deployment",
            ["deployment"],
            registry=self.registry,
        )
        self.equity = Gauge(
            "omc_floor_equity",
            "Deployment equity at its last tick, cash included (quote currency)",
            ["deployment"],
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

    def observe_tick(self, deployment: str, outcome: str, equity: Any) -> None:
        self.ticks.labels(deployment=deployment, outcome=outcome).inc()
        if outcome == "ordered":
            self.orders.labels(deployment=deployment).inc()
        elif outcome in ("blocked", "failed", "halted"):
            self.rejections.labels(deployment=deployment).inc()
        if equity is not None:
            self.equity.labels(deployment=deployment).set(float(equity))

    def close(self) -> None:
        self.server.shutdown()


def build_metrics(port: int | None) -> Metrics:
    return PrometheusMetrics(port) if port else NoMetrics()
