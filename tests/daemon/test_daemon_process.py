"""The daemon as a real subprocess against loopback sources, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
import sqlalchemy as sa

from omc.ledgers.glass.models import OnChainMetric
from tests.daemon.conftest import runs_by_source, wait_for

pytestmark = pytest.mark.slow
STOP_BOUND = 3 + 5  # daemon.stop_timeout_seconds in the fixture, plus interpreter exit


def ok_runs(engine, source):
    return [run for run in runs_by_source(engine).get(source, []) if run.status == "ok"]


def failed_runs(engine, source):
    return [run for run in runs_by_source(engine).get(source, []) if run.status == "failed"]


def test_sends_ready_and_watchdog_and_exits_zero_on_sigterm(engine, start_daemon, notify_socket):
    daemon = start_daemon(
        ["coinspot"],
        env={"NOTIFY_SOCKET": notify_socket.path, "WATCHDOG_USEC": "600000"},
    )
    wait_for(lambda: notify_socket.received("READY=1"), what="READY=1")
    assert notify_socket.received("STATUS=collector: 1 source(s) scheduled")
    wait_for(lambda: notify_socket.received("WATCHDOG=1"), what="WATCHDOG=1")
    wait_for(lambda: ok_runs(engine, "coinspot"), what="a CoinSpot run")
    code, took = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    assert took < STOP_BOUND
    assert notify_socket.received("STOPPING=1")


def test_failing_hanging_and_garbage_sources_do_not_stop_the_others(engine, start_daemon):
    daemon = start_daemon(["coinspot", "sequence", "fail500", "hang", "garbage"])
    wait_for(lambda: len(ok_runs(engine, "sequence")) >= 5, what="5 sequence runs")
    wait_for(lambda: len(ok_runs(engine, "coinspot")) >= 3, what="3 CoinSpot runs")
    for broken in ("fail500", "hang", "garbage"):
        wait_for(lambda b=broken: failed_runs(engine, b), what=f"a failed {broken} run")
    errors = {name: failed_runs(engine, name)[0].error for name in ("fail500", "hang", "garbage")}
    assert errors["fail500"] == "fail500 /fail500: HTTP 500"
    assert errors["hang"] == "hang /hang: timed out"
    assert errors["garbage"] == "garbage /garbage: the response is not JSON"
    assert daemon.process.poll() is None
    code, took = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    assert took < STOP_BOUND


def test_a_second_collector_on_the_same_database_is_refused(engine, start_daemon):
    first = start_daemon(["sequence"])
    wait_for(lambda: ok_runs(engine, "sequence"), what="the first collector's run")
    second = start_daemon(["sequence"])
    assert second.process.wait(timeout=30) == 75
    assert "a collector is already running against this database" in second.output()
    assert f"pid {first.pid}" in second.output()
    assert first.process.poll() is None


def test_secrets_never_appear_in_the_logs(engine, start_daemon):
    canary = "canary-secret-4f1b9e2d7c"
    daemon = start_daemon(
        ["leaky", "sequence"],
        env={"OMC_MARKET__COINGECKO_API_KEY": canary, "OMC_LOG_LEVEL": "DEBUG"},
        args=["--role", "collector", "--log-format", "json"],
    )
    wait_for(lambda: failed_runs(engine, "leaky"), what="the leaky source's failure")
    daemon.terminate(timeout=STOP_BOUND)
    output = daemon.output()
    assert "upstream rejected key ***" in output
    assert canary not in output


def _terminate_daemon_backends(engine, daemon) -> None:
    """End every connection of the daemon (found by ``application_name``); the server stays up."""
    with engine.begin() as connection:
        killed = connection.execute(
            sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": f"omc-collector:{daemon.pid}"},
        ).scalar_one()
    assert killed >= 1


def _restart_postgresql(engine, daemon) -> None:
    """Stop and start the local PostgreSQL cluster, as .ci/run starts it."""
    allowed = os.environ.get("CI", "").lower() == "true" or os.environ.get(
        "OMC_TEST_RESTART_POSTGRES"
    )
    if not allowed:
        pytest.skip("restarts the shared PostgreSQL server: runs under CI=true or with "
                    "OMC_TEST_RESTART_POSTGRES=1")  # fmt: skip
    root = Path("/etc/postgresql")
    versions = sorted(root.iterdir()) if root.is_dir() else []
    if shutil.which("pg_ctlcluster") is None or not versions:
        pytest.fail("pg_ctlcluster and /etc/postgresql are needed to restart PostgreSQL")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1].name, "main", "restart"],
        check=True,
        capture_output=True,
        timeout=120,
    )


@pytest.mark.parametrize(
    "database_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
@pytest.mark.parametrize(
    "disruption",
    [_terminate_daemon_backends, _restart_postgresql],
    ids=["backends-terminated", "server-restarted"],
)
def test_lost_database_connections_are_reconnected_without_loss_or_duplicates(
    engine, start_daemon, disruption
):
    """The daemon's connections die under it (its backends ended, or the whole server
    restarted); the same process carries on, re-takes its advisory lock, and every row it
    recorded is stored exactly once."""
    daemon = start_daemon(["sequence"])
    wait_for(lambda: len(ok_runs(engine, "sequence")) >= 5, what="5 runs before")
    disruption(engine, daemon)
    before = len(ok_runs(engine, "sequence"))
    wait_for(lambda: len(ok_runs(engine, "sequence")) >= before + 5, what="5 runs after")
    assert daemon.process.poll() is None, "the daemon restarted or died"
    code, _ = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()
    table = OnChainMetric.__table__
    with engine.connect() as connection:
        stored = (
            connection.execute(sa.select(table.c.metric_value).where(table.c.source == "sequence"))
            .scalars()
            .all()
        )
    recorded = [i for run in ok_runs(engine, "sequence") for i in run.detail["ids"]]
    assert len(stored) == len(set(stored))
    assert sorted(int(value) for value in stored) == sorted(recorded)


def test_sighup_reloads_the_settings_and_replans_the_jobs(
    engine, start_daemon, notify_socket, tmp_path
):
    config = tmp_path / "reload.toml"
    intervals = "[collect.intervals]\nsequence = 0.2\nfail500 = 0.2\n"
    config.write_text('[collect]\ndisabled = ["coinspot"]\n' + intervals)
    daemon = start_daemon(
        ["sequence", "fail500"],
        env={
            "NOTIFY_SOCKET": notify_socket.path,
            "OMC_CONFIG": str(config),
            "OMC_COLLECT__DISABLED": None,  # from the file, so the reload can change it
            "OMC_COLLECT__INTERVALS": None,
        },
    )
    wait_for(lambda: failed_runs(engine, "fail500"), what="a fail500 run")
    config.write_text('[collect]\ndisabled = ["coinspot", "fail500"]\n' + intervals)
    os_kill_hup(daemon.pid)
    wait_for(lambda: notify_socket.received("RELOADING=1"), what="RELOADING=1")
    wait_for(lambda: notify_socket.messages.count("READY=1") >= 2, what="READY=1 after the reload")
    settled = len(runs_by_source(engine)["fail500"])
    seen = len(ok_runs(engine, "sequence"))
    wait_for(lambda: len(ok_runs(engine, "sequence")) >= seen + 5, what="5 more sequence runs")
    assert len(runs_by_source(engine)["fail500"]) <= settled + 1  # one may have been in flight
    code, _ = daemon.terminate(timeout=STOP_BOUND)
    assert code == 0, daemon.output()


def os_kill_hup(pid: int) -> None:
    import os
    import signal

    os.kill(pid, signal.SIGHUP)


def test_a_run_abandoned_by_sigint_is_cancelled_not_failed(engine, start_daemon, loopback_sources):
    """SIGINT while a source sleeps between retries: its run is ``cancelled``, logged at INFO;
    nothing is recorded as failed."""
    import signal

    daemon = start_daemon(
        ["fail500"],
        intervals={"fail500": 30},
        env={"OMC_MARKET__HTTP_ATTEMPTS": "4", "OMC_LOG_LEVEL": "INFO"},
    )
    server = loopback_sources.server
    wait_for(
        lambda: any(request.path == "/sources/fail500" for request, _ in server.log),
        what="the first attempt (then up to 7 s of retry sleeps)",
    )
    daemon.process.send_signal(signal.SIGINT)
    assert daemon.process.wait(timeout=STOP_BOUND) == 0, daemon.output()
    runs = runs_by_source(engine)["fail500"]
    assert [run.status for run in runs] == ["cancelled"]
    assert runs[0].error == "the daemon was asked to stop; run abandoned before storing"
    output = daemon.output()
    assert "source fail500 cancelled" in output
    assert "WARNING" not in output.split("received SIGINT")[-1], output
