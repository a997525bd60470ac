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
import struct
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

from omc.lab.sandbox.errors import SandboxUnavailable

LENGTH = struct.Struct("<Q")
REPLY_SLACK = 65536  # a reply's own fields beyond the result
REPLY_HEADER = LENGTH.size + 1  # the length, then P (the reply follows) or M (in the memfd)
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
    # Transparent huge pages for malloc's heap (glibc 2.35+, where the kernel offers them on
    # request): a fresh child then faults in its working memory 2 MiB at a time, not 4 KiB.
    environment["GLIBC_TUNABLES"] = "glibc.malloc.hugetlb=1"
    return environment


@dataclass
class Child:
    """One running child: its process id and the caller's ends of its three pipes."""

    pid: int
    input_fd: int
    output_fd: int
    status_fd: int
    output_memfd: int = -1

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGKILL)

    def close(self) -> None:
        for fd in (self.input_fd, self.output_fd, self.status_fd, self.output_memfd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.input_fd = self.output_fd = self.status_fd = self.output_memfd = -1


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

    def spawn(self, limits: dict[str, Any], message: list[Any], probe: bool = False) -> Child:
        """Hand the server a run: its limits and its input ``message``; returns the child with
        the caller's ends of its output and status pipes."""
        input_fd = write_input(message)
        try:
            return self._spawn(limits, probe, input_fd)
        finally:
            os.close(input_fd)

    def _spawn(self, limits: dict[str, Any], probe: bool, input_fd: int) -> Child:
        with self._lock:
            for attempt in (1, 2):
                if not self._alive():
                    self._start()
                try:
                    return self._request(limits, probe, input_fd)
                except (OSError, ValueError):
                    self._discard()
                    if attempt == 2:
                        raise SandboxUnavailable("the sandbox's fork server stopped") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, limits: dict[str, Any], probe: bool, input_fd: int) -> Child:
        assert self._sock is not None
        output_read, output_write = os.pipe2(os.O_CLOEXEC)
        status_read, status_write = os.pipe2(os.O_CLOEXEC)
        with contextlib.suppress(OSError):
            fcntl.fcntl(output_read, F_SETPIPE_SZ, PIPE_SIZE)
        output_memfd = os.memfd_create("omc-sandbox-output", os.MFD_CLOEXEC)
        # Sparse: no memory is used until the child writes its reply into it.
        os.ftruncate(output_memfd, int(limits["output_bytes"]) + REPLY_SLACK)
        theirs = [input_fd, output_write, output_memfd, status_write]
        try:
            message = json.dumps({"limits": limits, "probe": probe}).encode()
            self._sock.sendmsg(
                [message], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, bytes(_fd_array(theirs)))]
            )
            reply = json.loads(self._sock.recv(65536) or b"{}")
        except BaseException:
            for fd in (output_read, status_read, output_memfd):
                os.close(fd)
            raise
        finally:
            for fd in (output_write, status_write):
                os.close(fd)
        if "pid" not in reply:
            for fd in (output_read, status_read, output_memfd):
                os.close(fd)
            raise ValueError(reply.get("error", "no child"))
        return Child(int(reply["pid"]), -1, output_read, status_read, output_memfd)

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


def write_input(message: list[Any]) -> int:
    """The request in a new memfd (the child maps it; nothing streams through a pipe)."""
    fd = os.memfd_create("omc-sandbox-input", os.MFD_CLOEXEC)
    try:
        for part in message:
            view = memoryview(part).cast("B")
            while view.nbytes:
                view = view[os.write(fd, view) :]
    except BaseException:
        os.close(fd)
        raise
    return fd


def exchange(child: Child, wall_seconds: float, output_limit: int) -> Exchange:
    """Read the child's reply (and, when it failed, its exit status) within the wall clock."""
    started = time.monotonic()
    deadline = started + wall_seconds
    output = bytearray()
    status_text = bytearray()
    timed_out = exceeded = complete = False
    expected: int | None = None  # the reply's length, from its first 8 bytes
    reply = bytearray()
    reply_view = memoryview(reply)
    received = 0
    open_reads = {child.output_fd, child.status_fd}
    while open_reads and not complete:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            timed_out = True
            break
        readable, _, _ = select.select(list(open_reads), [], [], remaining)
        for fd in readable:
            if fd == child.output_fd and expected is not None:
                # The length is known: read straight into the reply's own buffer.
                count = os.readv(fd, [reply_view[received:]])
                if not count:
                    open_reads.discard(fd)
                received += count
                complete = received == expected
                continue
            chunk = os.read(fd, PIPE_SIZE)
            if not chunk:
                open_reads.discard(fd)
            elif fd == child.output_fd:
                output += chunk
                if len(output) >= REPLY_HEADER:
                    (expected,) = LENGTH.unpack_from(output)
                    if expected > output_limit + REPLY_SLACK:
                        exceeded = True
                        break
                    reply = bytearray(expected)
                    reply_view = memoryview(reply)
                    if output[LENGTH.size : REPLY_HEADER] == b"M":
                        child.kill()  # the reply is complete: nothing may change it now
                        received = _read_memfd(child.output_memfd, reply_view)
                        complete = True
                        continue
                    received = min(len(output) - REPLY_HEADER, expected)
                    reply_view[:received] = output[REPLY_HEADER : REPLY_HEADER + received]
                    complete = received == expected
            else:
                status_text += chunk
        if exceeded:
            break
    if timed_out or exceeded:
        child.kill()
        status_text += _read_until_closed(child.status_fd, 10.0)
    elif complete:
        child.kill()  # it was ending anyway; nothing of it may outlive the call
    if complete:
        output = reply
    elif not (timed_out or exceeded):
        output = bytearray()  # it ended without a whole reply
    seconds = time.monotonic() - started
    status = None
    if status_text:
        try:
            status = int(json.loads(bytes(status_text))["status"])
        except (ValueError, KeyError):
            status = None
    return Exchange(output, status, timed_out, exceeded, seconds)


def _read_memfd(fd: int, view: memoryview) -> int:
    received = 0
    while received < view.nbytes:
        count = os.preadv(fd, [view[received:]], received)
        if count <= 0:
            raise ValueError("the reply is shorter than its length")
        received += count
    return received


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
