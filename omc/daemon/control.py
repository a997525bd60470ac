"""Start, stop and restart the collector: through systemd when its unit is installed, otherwise
as a detached process with a pid file and a log file under ``OMC_HOME``.

A detached start waits for the daemon's ``READY=1`` on a private notify socket (the same
protocol systemd uses), so it reports success only once the daemon holds the collector lock
and its scheduler runs, and otherwise shows why it exited.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from omc.daemon.units import UNIT_ROLES, installed_scope, systemctl
from omc.errors import EX_TEMPFAIL, OmcError, ServiceUnavailable
from omc.home import ensure_home
from omc.settings import Settings

START_TIMEOUT_SECONDS = 60.0


class AlreadyRunning(OmcError):
    exit_code = EX_TEMPFAIL


def pid_file(settings: Settings, role: str = "collector") -> Path:
    return settings.home / "run" / f"omc-{role}.pid"


def output_file(settings: Settings, role: str = "collector") -> Path:
    return settings.home / "logs" / f"omc-{role}.out"


def running_pid(settings: Settings, role: str = "collector") -> int | None:
    """The pid in the pid file if that process is alive and is omc; else None."""
    try:
        pid = int(pid_file(settings, role).read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return pid
    return pid if b"omc" in cmdline else None


def _systemd_scope(role: str) -> bool | None:
    return installed_scope(role)


def _systemctl_or_fail(action: str, role: str, user: bool) -> str:
    done = systemctl(action, UNIT_ROLES[role], user=user)
    if done.returncode != 0:
        reason = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ServiceUnavailable(f"systemctl {action} {UNIT_ROLES[role]} failed: {reason}")
    scope = "--user " if user else ""
    return f"systemctl {scope}{action} {UNIT_ROLES[role]}: done"


def start(settings: Settings, role: str = "collector", *, use_systemd: bool = True) -> str:
    """Start the daemon; returns a one-line description of what happened."""
    scope = _systemd_scope(role) if use_systemd else None
    if scope is not None:
        return _systemctl_or_fail("start", role, scope)
    pid = running_pid(settings, role)
    if pid is not None:
        raise AlreadyRunning(f"the {role} is already running (pid {pid}); `omc collect stop` first")
    return _start_detached(settings, role)


def _start_detached(settings: Settings, role: str) -> str:
    ensure_home(settings.home)
    for directory in (pid_file(settings, role).parent, output_file(settings, role).parent):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="omc-start-") as scratch:
        address = str(Path(scratch) / "notify")
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        listener.bind(address)
        environ = {
            k: v for k, v in os.environ.items() if k not in ("WATCHDOG_USEC", "WATCHDOG_PID")
        }
        environ["NOTIFY_SOCKET"] = address
        environ["OMC_DAEMON__LOG_TO_FILE"] = "true"
        out = output_file(settings, role).open("ab")
        command = [sys.executable, "-m", "omc", "daemon", "run", "--role", role]
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=out,
            env=environ,
            start_new_session=True,
            close_fds=True,
        )
        out.close()
        try:
            ready = _wait_ready(listener, process)
        finally:
            listener.close()
    if not ready:
        code = process.poll()
        reason = _last_line(output_file(settings, role))
        if code is None:
            process.terminate()
            raise ServiceUnavailable(f"the {role} did not report ready within the start timeout")
        raise ServiceUnavailable(f"the {role} exited (code {code}): {reason}")
    pid_file(settings, role).write_text(f"{process.pid}\n")
    log = settings.home / "logs" / f"omc-{role}.log"
    return f"started the {role} (pid {process.pid}); logs in {log}"


def _wait_ready(listener: socket.socket, process: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    listener.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            message = listener.recv(4096).decode(errors="replace")
        except TimeoutError:
            message = ""
        if "READY=1" in message.splitlines():
            return True
        if process.poll() is not None:
            return False
    return False


def _last_line(path: Path) -> str:
    try:
        lines = [line for line in path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no output"
    return lines[-1].removeprefix("omc: error: ") if lines else "no output"


def stop(settings: Settings, role: str = "collector", *, use_systemd: bool = True) -> str:
    """Stop the daemon (SIGTERM, then wait for it within the daemon's stop bound)."""
    scope = _systemd_scope(role) if use_systemd else None
    if scope is not None:
        return _systemctl_or_fail("stop", role, scope)
    pid = running_pid(settings, role)
    if pid is None:
        pid_file(settings, role).unlink(missing_ok=True)
        return f"the {role} is not running"
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + settings.daemon.stop_timeout_seconds + 10
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        _reap(pid)
        time.sleep(0.1)
    else:
        raise ServiceUnavailable(f"the {role} (pid {pid}) did not stop; check its log")
    pid_file(settings, role).unlink(missing_ok=True)
    return f"stopped the {role} (pid {pid})"


def _reap(pid: int) -> None:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def restart(settings: Settings, role: str = "collector", *, use_systemd: bool = True) -> str:
    scope = _systemd_scope(role) if use_systemd else None
    if scope is not None:
        return _systemctl_or_fail("restart", role, scope)
    stopped = stop(settings, role, use_systemd=False)
    return f"{stopped}; {start(settings, role, use_systemd=False)}"
