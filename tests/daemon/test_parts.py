"""The daemon's parts in-process: backoff, sd_notify, the collector lock, heartbeats, status."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest
import sqlalchemy as sa

from omc.daemon.health import collect_status, summary_line
from omc.daemon.heartbeat import Identity, beat, latest, liveness, register
from omc.daemon.jobs import SourceHealth
from omc.daemon.lock import CollectorAlreadyRunning, CollectorLock
from omc.daemon.notify import Notifier
from omc.ledgers.runner import RunResult, record_run
from omc.logging_setup import JsonFormatter, RedactSecrets
from omc.settings import load_settings
from tests.daemon.conftest import NotifySocket, all_sources_but, wait_for

NOW = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("failures", "delay"), [(0, 0), (1, 0), (2, 120), (3, 240), (6, 1800), (20, 1800)]
)
def test_a_source_that_keeps_failing_backs_off_exponentially_up_to_the_cap(failures, delay):
    health = SourceHealth(consecutive_failures=failures)
    assert health.delay_after_failure(60, 1800) == delay


def test_notifier_sends_datagrams_to_the_socket_and_reads_the_watchdog_interval():
    notify = NotifySocket()
    try:
        notifier = Notifier({"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "30000000"})
        assert notifier.watchdog_seconds == 30
        notifier.ready("collector: 1 source(s) scheduled")
        notifier.watchdog()
        wait_for(lambda: notify.received("WATCHDOG=1"), timeout=5)
        assert notify.messages[:2] == ["READY=1", "STATUS=collector: 1 source(s) scheduled"]
        notifier.close()
    finally:
        notify.close()


def test_without_notify_socket_the_notifier_does_nothing():
    notifier = Notifier({})
    assert not notifier.enabled
    assert notifier.watchdog_seconds is None
    notifier.ready("x")  # no error


def test_watchdog_for_another_pid_is_ignored():
    notifier = Notifier(
        {"NOTIFY_SOCKET": "/nonexistent", "WATCHDOG_USEC": "1", "WATCHDOG_PID": "1"}
    )
    assert notifier.watchdog_seconds is None


def test_the_collector_lock_refuses_a_second_holder_and_frees_on_release(engine):
    first, second = CollectorLock(engine, "collector"), CollectorLock(engine, "collector")
    first.acquire()
    try:
        assert first.verify() is True
        with pytest.raises(CollectorAlreadyRunning, match="already runs against this database"):
            second.acquire()
    finally:
        first.release()
    second.acquire()
    second.release()


def test_heartbeat_liveness_follows_the_beat_age_and_the_stop(engine):
    me = Identity.current("collector", now=NOW)
    register(engine, me, "starting")
    beat(engine, me, "running", "collector: 1 source(s) scheduled", {"sources": {}}, now=NOW)
    row = latest(engine, ("collector",))
    assert (row["pid"], row["state"]) == (me.pid, "running")
    assert liveness(row, 15, NOW + dt.timedelta(seconds=40))["alive"] is True
    late = liveness(row, 15, NOW + dt.timedelta(seconds=50))
    assert (late["alive"], late["state"]) == (False, "not responding")
    beat(engine, me, "stopped", "stopped", now=NOW, stopped=True)
    assert liveness(latest(engine, ("collector",)), 15, NOW)["alive"] is False


def _run(engine, source, status, started, rows=0, error=None):
    record_run(
        engine,
        RunResult(
            source=source,
            ledger="exchange",
            status=status,
            started_at=started,
            finished_at=started + dt.timedelta(seconds=1),
            rows_inserted=rows,
            error=error,
        ),
    )


def _source(report: dict, name: str) -> dict:
    (found,) = [source for source in report["sources"] if source["name"] == name]
    return found


def test_collect_status_reports_rows_last_error_and_stale_sources(engine, monkeypatch):
    monkeypatch.setenv("OMC_COLLECT__INTERVALS", '{"coinspot": 60}')
    monkeypatch.setenv("OMC_COLLECT__DISABLED", all_sources_but("coinspot"))
    settings = load_settings().settings
    _run(engine, "coinspot", "ok", NOW - dt.timedelta(days=2), rows=100)
    _run(engine, "coinspot", "ok", NOW - dt.timedelta(minutes=10), rows=7)
    _run(engine, "coinspot", "failed", NOW - dt.timedelta(minutes=1), error="coinspot: HTTP 500")
    report = collect_status(engine, settings, now=NOW)
    coinspot = _source(report, "coinspot")
    assert coinspot["rows_24h"] == 7
    assert coinspot["last_error"]["message"] == "coinspot: HTTP 500"
    assert coinspot["freshness"] == {"state": "stale", "age_seconds": 599}
    assert report["stale"] == ["coinspot"]
    assert report["daemon"]["state"] == "never started"
    assert summary_line(report) == (
        "collector never started (`omc collect start`); stale: coinspot"
    )
    fresh = collect_status(engine, settings, now=NOW - dt.timedelta(minutes=9))
    assert _source(fresh, "coinspot")["freshness"]["state"] == "fresh"


def test_a_disabled_source_is_off_not_stale(engine, monkeypatch):
    monkeypatch.setenv("OMC_COLLECT__DISABLED", "coinspot")
    report = collect_status(engine, load_settings().settings, now=NOW)
    assert _source(report, "coinspot")["enabled"] is False
    assert _source(report, "coinspot")["freshness"]["state"] == "off"
    assert "coinspot" not in report["stale"]


def test_json_log_lines_are_objects_and_secrets_are_masked():
    record = logging.LogRecord(
        "omc.x", logging.WARNING, __file__, 1, "key %s", ("abcdef123",), None
    )
    RedactSecrets(["abcdef123"]).filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert (line["level"], line["logger"], line["message"]) == ("WARNING", "omc.x", "key ***")


def test_invalid_interval_setting_is_a_clear_error(cli, monkeypatch):
    result = cli("collect", "status", env={"OMC_COLLECT__INTERVALS": '{"coinspot": 0}'})
    assert result.exit_code == 78
    assert "interval of coinspot must be more than 0 seconds" in result.output


def test_daemon_run_with_an_unknown_role_is_a_usage_error(cli):
    result = cli("daemon", "run", "--role", "trader")
    assert result.exit_code == 64
    assert "unknown role 'trader'" in result.output


def test_versioned_table_is_empty_after_upgrade(engine):
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM daemon_instances")).scalar() == 0


def test_prometheus_endpoint_serves_per_source_counters_on_loopback():
    import httpx

    from omc.daemon.metrics import PrometheusMetrics

    metrics = PrometheusMetrics(0)
    try:
        metrics.observe("coinspot", "ok", 12, 1_700_000_000.0)
        metrics.observe("coinspot", "failed", 0, 1_700_000_060.0)
        host, port = metrics.server.server_address[:2]
        assert host == "127.0.0.1"
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    finally:
        metrics.close()
    assert 'omc_source_runs_total{source="coinspot",status="ok"} 1.0' in text
    assert 'omc_source_errors_total{source="coinspot"} 1.0' in text
    assert 'omc_source_rows_written_total{source="coinspot"} 12.0' in text
    assert 'omc_source_last_success_timestamp_seconds{source="coinspot"} 1.7e+09' in text


def test_sources_that_never_stored_a_row_have_no_data_and_are_not_stale(engine, monkeypatch):
    monkeypatch.setenv("OMC_COLLECT__DISABLED", all_sources_but("coinspot", "defillama"))
    report = collect_status(engine, load_settings().settings, now=NOW)
    assert _source(report, "coinspot")["freshness"] == {"state": "no data", "age_seconds": None}
    assert (report["stale"], report["no_data"]) == ([], ["defillama", "coinspot"])
    assert summary_line(report) == "collector never started (`omc collect start`)"


def test_a_cancelled_run_is_shown_as_such_and_is_not_the_last_error(engine, monkeypatch):
    monkeypatch.setenv("OMC_COLLECT__INTERVALS", '{"coinspot": 60}')
    monkeypatch.setenv("OMC_COLLECT__DISABLED", all_sources_but("coinspot"))
    settings = load_settings().settings
    _run(engine, "coinspot", "failed", NOW - dt.timedelta(minutes=5), error="coinspot: HTTP 500")
    _run(engine, "coinspot", "cancelled", NOW - dt.timedelta(minutes=1), error="asked to stop")
    coinspot = _source(collect_status(engine, settings, now=NOW), "coinspot")
    assert coinspot["last_status"] == "cancelled"
    assert coinspot["last_error"]["message"] == "coinspot: HTTP 500"


def test_a_cancelled_run_does_not_count_toward_the_failure_backoff(engine, caplog):
    """A run whose sleep is cut short by a stop is recorded ``cancelled`` at INFO and leaves the
    source's failure count where it was."""
    from omc.daemon.jobs import InFlight, SourceJob
    from omc.daemon.process import DaemonStopping
    from omc.ledgers.runs import CollectorRun
    from omc.ledgers.source import CollectContext, Source

    class Sleepy(Source):
        name = "sleepy"
        ledger = "glass"
        interval = dt.timedelta(seconds=60)

        def fetch(self, ctx):
            ctx.sleep(5)  # the daemon's sleep raises once it is stopping

        def validate(self, raw):  # pragma: no cover - never reached
            raise AssertionError

        def normalise(self, validated, ctx):  # pragma: no cover - never reached
            raise AssertionError

    def stopping_sleep(seconds: float) -> None:
        raise DaemonStopping("the daemon was asked to stop; run abandoned before storing")

    context = CollectContext(settings=load_settings().settings, sleep=stopping_sleep)
    job = SourceJob(Sleepy(), engine, lambda: context, 60, 1800, InFlight())
    job.health.consecutive_failures = 2
    with caplog.at_level(logging.INFO, logger="omc"):
        job()
    assert job.health.consecutive_failures == 2
    with engine.connect() as connection:
        statuses = connection.execute(sa.select(CollectorRun.__table__.c.status)).scalars().all()
    assert statuses == ["cancelled"]
    (record,) = [r for r in caplog.records if "sleepy" in r.getMessage()]
    assert (record.levelname, record.getMessage()) == (
        "INFO",
        "source sleepy cancelled: the daemon was asked to stop; run abandoned before storing",
    )
