"""The caller's side: start the fork server, hand it a run, enforce the wall clock, read the reply.

The caller never runs untrusted code. It writes the inputs into the child's input pipe, reads
the reply from its output pipe (refusing more than the output limit), and kills the child's
whole process group when the wall-clock limit passes.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from omc.lab.sandbox.errors import SandboxUnavailable

F_SETPIPE_SZ = 1031
PIPE_SIZE = 1 << 20
START_TIMEOUT_SECONDS = 120.0
REPLY_TIMEOUT_SECONDS = 30.0
# Variables the fork server keeps from the caller's environment: none of them is a secret.
KEPT_VARIABLES = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH", "VIRTUAL_ENV")
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "VECLIB_MAXIMUM_THREADS": "1",
}


def server_environment() -> dict[str, str]:
    """A small environment for the fork server: no secrets from the caller's, single-threaded
    numerical libraries, and omc importable wherever it is installed."""
    import omc

    environment = {name: os.environ[name] for name in KEPT_VARIABLES if name in os.environ}
    environment.update(SINGLE_THREADED)
    package_parent = os.path.dirname(os.path.dirname(os.path.abspath(omc.__file__)))
    paths = [package_parent, *environment.get("PYTHONPATH", "").split(os.pathsep)]
    environment["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(p for p in paths if p))
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    return environment


@dataclass
class Child:
    """One running child: its process id and the caller's ends of its three pipes."""

    pid: int
    input_fd: int
    output_fd: int
    status_fd: int

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        for fd in (self.input_fd, self.output_fd, self.status_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.input_fd = self.output_fd = self.status_fd = -1


class ForkServer:
    """A handle on one fork server process, started on first use, restarted if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._sock: socket.socket | None = None
        self._owner = 0
        self.layers: dict[str, Any] = {}

    def _alive(self) -> bool:
        return (
            self._process is not None
            and self._owner == os.getpid()
            and self._process.poll() is None
        )

    def _start(self) -> None:
        self._discard()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "omc.lab.sandbox.server", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=server_environment(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd="/",
                start_new_session=True,
            )
        except OSError as error:
            ours.close()
            raise SandboxUnavailable(f"the sandbox could not start ({error.strerror})") from None
        finally:
            theirs.close()
        self._process, self._sock, self._owner = process, ours, os.getpid()
        ours.settimeout(START_TIMEOUT_SECONDS)
        try:
            ready = json.loads(ours.recv(65536) or b"{}")
        except (OSError, ValueError):
            ready = {}
        if not ready.get("ready"):
            self._discard()
            detail = ready.get("error", "it ended before it was ready")
            raise SandboxUnavailable(f"the sandbox could not start: {detail}")
        ours.settimeout(REPLY_TIMEOUT_SECONDS)
        self.layers = ready

    def _discard(self) -> None:
        if self._sock is not None:
            self._sock.close()
        if self._process is not None and self._owner == os.getpid():
            if self._process.poll() is None:
                self._process.kill()
            self._process.wait()
        self._process = self._sock = None

    def ensure_started(self) -> dict[str, Any]:
        with self._lock:
            if not self._alive():
                self._start()
            return self.layers

    def spawn(self, limits: dict[str, Any], probe: bool = False) -> Child:
        """Ask the server for a child; returns it with the caller's pipe ends."""
        with self._lock:
            for attempt in (1, 2):
                if not self._alive():
                    self._start()
                try:
                    return self._request(limits, probe)
                except (OSError, ValueError):
                    self._discard()
                    if attempt == 2:
                        raise SandboxUnavailable("the sandbox's fork server stopped") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, limits: dict[str, Any], probe: bool) -> Child:
        assert self._sock is not None
        input_read, input_write = os.pipe2(os.O_CLOEXEC)
        output_read, output_write = os.pipe2(os.O_CLOEXEC)
        status_read, status_write = os.pipe2(os.O_CLOEXEC)
        for fd in (input_write, output_read):
            with contextlib.suppress(OSError):
                fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
        theirs = [input_read, output_write, status_write]
        try:
            message = json.dumps({"limits": limits, "probe": probe}).encode()
            self._sock.sendmsg(
                [message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(_fd_array(theirs)))]
            )
            reply = json.loads(self._sock.recv(65536) or b"{}")
        except BaseException:
            for fd in (input_write, output_read, status_read):
                os.close(fd)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        if "pid" not in reply:
            for fd in (input_write, output_read, status_read):
                os.close(fd)
            raise ValueError(reply.get("error", "no child"))
        return Child(int(reply["pid"]), input_write, output_read, status_read)

    def close(self) -> None:
        with self._lock:
            self._discard()


def _fd_array(fds: list[int]) -> Any:
    import array

    return array.array("i", fds)


@dataclass
class Exchange:
    """What came back from one child."""

    output: bytearray
    status: int | None
    timed_out: bool
    output_exceeded: bool
    seconds: float


def exchange(child: Child, message: list[Any], wall_seconds: float, output_limit: int) -> Exchange:
    """Write the request, read the reply and the exit status, within the wall-clock limit."""
    started = time.monotonic()
    deadline = started + wall_seconds
    pending = [memoryview(part).cast("B") for part in message if memoryview(part).nbytes]
    output = bytearray()
    status_text = bytearray()
    timed_out = exceeded = False
    os.set_blocking(child.input_fd, False)
    open_reads = {child.output_fd, child.status_fd}
    try:
        while open_reads:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                timed_out = True
                break
            writers = [child.input_fd] if child.input_fd >= 0 else []
            readable, writable, _ = select.select(list(open_reads), writers, [], remaining)
            if writable:
                try:
                    while pending:
                        written = os.write(child.input_fd, pending[0])
                        pending[0] = pending[0][written:]
                        if not pending[0].nbytes:
                            pending.pop(0)
                except BlockingIOError:
                    pass
                except BrokenPipeError:
                    pending = []
                if not pending:
                    os.close(child.input_fd)
                    child.input_fd = -1
            for fd in readable:
                chunk = os.read(fd, PIPE_SIZE)
                if not chunk:
                    open_reads.discard(fd)
                elif fd == child.output_fd:
                    output += chunk
                    if len(output) > output_limit + 65536:
                        exceeded = True
                        open_reads.clear()
                        break
                else:
                    status_text += chunk
        if timed_out or exceeded:
            child.kill()
            status_text += _read_until_closed(child.status_fd, 10.0)
    finally:
        if child.input_fd >= 0:
            os.close(child.input_fd)
            child.input_fd = -1
    seconds = time.monotonic() - started
    status = None
    if status_text:
        try:
            status = int(json.loads(bytes(status_text))["status"])
        except (ValueError, KeyError):
            status = None
    return Exchange(output, status, timed_out, exceeded, seconds)


def _read_until_closed(fd: int, timeout: float) -> bytes:
    data = bytearray()
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        readable, _, _ = select.select([fd], [], [], remaining)
        if not readable:
            break
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        data += chunk
    return bytes(data)
