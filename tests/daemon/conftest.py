"""A real daemon subprocess, a test-owned NOTIFY_SOCKET and loopback sources.

Nothing here sleeps to assert: :func:`wait_for` polls a condition until a deadline.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

HERE = Path(__file__).resolve().parent
COINSPOT_LATEST = {
    "status": "ok",
    "prices": {
        "btc": {"bid": "151000.01", "ask": "151900.5", "last": "151450"},
        "eth": {"bid": "5201.1", "ask": "5230", "last": "5210.4"},
    },
}


def all_sources_but(*names: str) -> str:
    """``collect.disabled`` that leaves only ``names`` of the built-in sources running.

    Tests never let a built-in source reach for its real (internet) address.
    """
    from omc.ledgers.registry import all_sources

    return ",".join(source.name for source in all_sources() if source.name not in names)


def wait_for(condition: Callable[[], Any], timeout: float = 30.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it returns something truthy, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.05)


class NotifySocket:
    """A unix datagram socket the test binds, collecting what the daemon sends."""

    def __init__(self) -> None:
        self._dir = tempfile.mkdtemp(prefix="omcn-", dir="/tmp")
        self.path = os.path.join(self._dir, "notify")
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(self.path)
        self.socket.settimeout(0.1)
        self.messages: list[str] = []
        self._closed = False
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._closed:
            try:
                data = self.socket.recv(4096)
            except (TimeoutError, OSError):
                continue
            self.messages.extend(data.decode().splitlines())

    def received(self, field: str) -> bool:
        return any(message == field or message.startswith(field) for message in self.messages)

    def close(self) -> None:
        self._closed = True
        self._thread.join(timeout=1)
        self.socket.close()
        os.unlink(self.path)
        os.rmdir(self._dir)


class Sources:
    """A threaded loopback server: CoinSpot-shaped prices and the test sources' behaviours."""

    def __init__(self) -> None:
        self.server = HTTPServer(threaded=True)
        self.server.start()
        self.sequence = 0
        self._lock = threading.Lock()
        self.server.expect_request("/pubapi/v2/latest").respond_with_json(COINSPOT_LATEST)
        self.server.expect_request("/sources/sequence").respond_with_handler(self._sequence)
        self.server.expect_request("/sources/fail500").respond_with_data("down", status=500)
        self.server.expect_request("/sources/hang").respond_with_handler(self._hang)
        self.server.expect_request("/sources/garbage").respond_with_data(
            "<html>not json</html>", content_type="text/html"
        )
        self.server.expect_request("/sources/leaky").respond_with_json([])

    def _sequence(self, request: Request) -> Response:
        with self._lock:
            self.sequence += 1
            body = [{"id": self.sequence, "value": float(self.sequence)}]
        return Response(json.dumps(body), content_type="application/json")

    def _hang(self, request: Request) -> Response:
        time.sleep(3)
        return Response("[]", content_type="application/json")

    def env(self) -> dict[str, str]:
        return {
            "OMC_MARKET__COINSPOT_URL": self.server.url_for("/pubapi/v2"),
            "OMC_TEST_SOURCES_URL": self.server.url_for("/sources"),
        }

    def stop(self) -> None:
        self.server.clear()
        if self.server.is_running():
            self.server.stop()


@pytest.fixture
def loopback_sources() -> Iterator[Sources]:
    sources = Sources()
    yield sources
    sources.stop()


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    notify = NotifySocket()
    yield notify
    notify.close()


class Daemon:
    """``omc daemon run`` in a subprocess with the test's environment."""

    def __init__(self, env: dict[str, str], args: list[str]) -> None:
        self.stderr_path = Path(tempfile.mkstemp(prefix="omc-daemon-", suffix=".log")[1])
        self._stderr = self.stderr_path.open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "omc", "daemon", "run", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._stderr,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def terminate(self, timeout: float) -> tuple[int, float]:
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=timeout)
        return code, time.monotonic() - started

    def cleanup(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self._stderr.close()
        self.stderr_path.unlink(missing_ok=True)


@pytest.fixture
def start_daemon(engine, loopback_sources: Sources):
    """``start_daemon(sources=[…], intervals={…}, env={…}, args=[…])`` → a running Daemon."""
    started: list[Daemon] = []
    url = engine.url.render_as_string(hide_password=False)

    def start(
        sources: list[str],
        intervals: dict[str, float] | None = None,
        env: dict[str, str | None] | None = None,
        args: list[str] | None = None,
    ) -> Daemon:
        names = [name for name in sources if name != "coinspot"]
        environ: dict[str, str | None] = {
            **os.environ,
            **loopback_sources.env(),
            "PYTHONPATH": str(HERE),
            "OMC_DATABASE_URL": url,
            "OMC_TEST_SOURCES": ",".join(names),
            "OMC_COLLECT__SOURCE_MODULES": "loopback_sources",
            "OMC_COLLECT__DISABLED": all_sources_but(*sources),
            "OMC_COLLECT__INTERVALS": json.dumps(intervals or dict.fromkeys(sources, 0.2)),
            "OMC_MARKET__WATCHLIST": "",
            "OMC_MARKET__HTTP_TIMEOUT_SECONDS": "1",
            "OMC_MARKET__HTTP_ATTEMPTS": "1",
            "OMC_DAEMON__HEARTBEAT_SECONDS": "0.5",
            "OMC_DAEMON__STOP_TIMEOUT_SECONDS": "3",
            **(env or {}),
        }
        environ = {name: value for name, value in environ.items() if value is not None}
        daemon = Daemon(environ, args or ["--role", "collector"])
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.cleanup()


def runs_by_source(engine) -> dict[str, list[Any]]:
    from omc.ledgers.runs import CollectorRun

    table = CollectorRun.__table__
    found: dict[str, list[Any]] = {}
    with engine.connect() as connection:
        for row in connection.execute(sa.select(table).order_by(table.c.id)):
            found.setdefault(row.source, []).append(row)
    return found
