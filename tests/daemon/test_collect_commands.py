"""``omc collect start|status|stop|restart`` without systemd: detached, pid file, one collector."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
from pathlib import Path

import pytest

from omc.daemon.units import systemd_running
from tests.daemon.conftest import all_sources_but

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(systemd_running(), reason="systemd runs here: start would use systemctl"),
]


@pytest.fixture
def collector_env(engine, loopback_sources, monkeypatch):
    env = {
        **loopback_sources.env(),
        "OMC_DATABASE_URL": engine.url.render_as_string(hide_password=False),
        "OMC_MARKET__WATCHLIST": "",
        "OMC_COLLECT__INTERVALS": '{"coinspot": 0.5}',
        "OMC_COLLECT__DISABLED": all_sources_but("coinspot"),
        "OMC_DAEMON__HEARTBEAT_SECONDS": "0.5",
        "OMC_DAEMON__STOP_TIMEOUT_SECONDS": "3",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    yield env
    pid_path = Path(os.environ["OMC_HOME"]) / "run" / "omc-collector.pid"
    if pid_path.exists():  # a failed test must not leave a daemon behind
        with contextlib.suppress(ProcessLookupError, ValueError):
            os.kill(int(pid_path.read_text()), signal.SIGKILL)


def test_start_status_restart_stop_without_systemd(cli, collector_env):
    started = cli("collect", "start")
    assert started.exit_code == 0, started.output
    assert started.output.startswith("started the collector (pid ")
    pid = int(started.output.split("(pid ")[1].split(")")[0])

    second = cli("collect", "start")
    assert second.exit_code == 75
    assert f"the collector is already running (pid {pid})" in second.output

    status = cli("collect", "status", "--json")
    assert status.exit_code == 0, status.output
    report = json.loads(status.output)
    assert (report["daemon"]["alive"], report["daemon"]["pid"]) == (True, pid)
    enabled = [source["name"] for source in report["sources"] if source["enabled"]]
    assert enabled == ["coinspot"]

    overall = json.loads(cli("status", "--json").output)
    assert overall["daemon"]["alive"] is True
    assert overall["daemon"]["state"].startswith(f"collector running (pid {pid} on ")

    restarted = cli("collect", "restart")
    assert restarted.exit_code == 0, restarted.output
    assert restarted.output.startswith(f"stopped the collector (pid {pid}); started")

    stopped = cli("collect", "stop")
    assert stopped.exit_code == 0
    assert stopped.output.startswith("stopped the collector (pid ")
    assert cli("collect", "stop").output.strip() == "the collector is not running"
    after = cli("collect", "status", "--json")
    assert after.exit_code == 69
    assert json.loads(after.output)["daemon"]["state"] == "stopped"


def test_human_status_marks_a_stale_source(cli, collector_env, engine):
    from omc.db import utcnow
    from omc.ledgers.runner import RunResult, record_run

    two_days_ago = utcnow() - dt.timedelta(days=2)
    record_run(
        engine,
        RunResult(
            source="coinspot",
            ledger="exchange",
            status="ok",
            started_at=two_days_ago,
            finished_at=two_days_ago + dt.timedelta(seconds=1),
            rows_inserted=5,
        ),
    )
    result = cli("collect", "status")
    assert result.exit_code == 69
    assert "not running" in result.output
    assert "STALE" in result.output
