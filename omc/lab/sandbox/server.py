"""The fork server: a pre-warmed interpreter that forks one child per run.

Started by :class:`omc.lab.sandbox.client.ForkServer` with one end of a ``SOCK_SEQPACKET``
socket pair. It moves into an empty network namespace, imports numpy, pandas, scikit-learn and
the indicators, runs a warm-up so pandas' lazy imports are done, reports which layers it can
give, and then serves requests: each carries the run's limits and three file descriptors (the
child's input pipe, its output pipe, and a pipe for its exit status). It ends, killing its
children, when the caller's end of the socket closes.
"""

from __future__ import annotations

import array
import contextlib
import gc
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from typing import Any

MAX_FDS = 4  # input memfd, output pipe, output memfd, status pipe
WARM_UP = """
import math, statistics
import numpy as np
import pandas as pd
from sklearn.preprocessing import StandardScaler
from omc.strategies.indicators import relative_strength_index
frame = pd.DataFrame({"close": np.linspace(1.0, 2.0, 64)},
                     index=pd.date_range("2024-01-01", periods=64, freq="5min", tz="UTC"))
frame["mean"] = frame["close"].rolling(5).mean()
frame["ewm"] = frame["close"].ewm(span=5).mean()
frame["z"] = (frame["close"] - frame["mean"]) / frame["close"].rolling(5).std()
frame["rsi"] = relative_strength_index(frame["close"].to_numpy(), 14)
frame["hour"] = frame.index.hour
grouped = frame.groupby("hour").agg({"close": ["mean", "max"]})
scaled = StandardScaler().fit_transform(frame[["close"]])
frame.resample("1h").last().pct_change().shift(1).fillna(0.0).describe()
print(frame.tail(2))
result = {"frame": frame, "grouped": grouped, "n": len(scaled), "x": np.float64(1.0)}
"""


def warm_up() -> None:
    """Import everything sandboxed code may use and exercise the common paths once."""
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    from omc.lab.sandbox.execute import execute
    from omc.lab.sandbox.modules import ALLOWED_ROOTS
    from omc.lab.sandbox.serialize import decode, encode

    for name in ALLOWED_ROOTS:
        __import__(name)
    reply = execute(WARM_UP, {}, 4096)
    if reply["status"] != "ok":  # pragma: no cover - a broken install
        raise RuntimeError(f"sandbox warm-up failed: {reply.get('message')}")
    decode(bytearray(b"".join(bytes(part) for part in encode(reply))))


def tune_allocator() -> None:
    """Keep freed memory of a run in the heap for that run's next arrays: a fresh child pays a
    page fault for every page it touches the first time, so reusing pages is what is cheap."""
    import ctypes

    m_trim_threshold, m_mmap_threshold = -1, -3
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)
        libc.mallopt(m_mmap_threshold, 64 << 20)
        libc.mallopt(m_trim_threshold, 512 << 20)


def layers_report() -> dict[str, Any]:
    from omc.lab.sandbox import kernel, process

    network, network_note = kernel.enter_network_namespace()
    seccomp, seccomp_note = kernel.seccomp_available()
    program = kernel.export_program() if seccomp else b""
    ids = process.unprivileged_ids()
    if ids is not None:
        user_note = f"drops from root to {process.UNPRIVILEGED_USER} (uid {ids[0]})"
    elif os.geteuid() == 0:
        user_note = f"not available: no {process.UNPRIVILEGED_USER} user to drop to"
    else:
        user_note = f"runs as the caller's own unprivileged user (uid {os.geteuid()})"
    return {
        "network_namespace": network,
        "network_namespace_note": network_note,
        "seccomp": seccomp,
        "seccomp_note": seccomp_note,
        "user": list(ids) if ids else None,
        "user_note": user_note,
        "unprivileged": ids is not None or os.geteuid() != 0,
        "seccomp_program": program,
    }


class Server:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: dict[int, tuple[int, str]] = {}  # pid -> (status fd, directory)
        self.layers: dict[str, Any] = {}
        self.spare: tuple[int, socket.socket, str] | None = None
        self.pid = os.getpid()
        self.wake_read, self.wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)

    def start(self) -> None:
        try:
            self.layers = layers_report()
            warm_up()
        except BaseException as error:
            self.sock.send(json.dumps({"error": f"{type(error).__name__}: {error}"}).encode())
            raise SystemExit(1) from None
        signal.set_wakeup_fd(self.wake_write)
        signal.signal(signal.SIGCHLD, lambda *_: None)
        tune_allocator()
        gc.collect()
        gc.freeze()  # the warm objects stay out of the children's collections: fewer copied pages
        self.fork_spare()
        report = {key: value for key, value in self.layers.items() if key != "seccomp_program"}
        self.sock.send(json.dumps({"ready": True, "pid": os.getpid(), **report}).encode())

    def serve(self) -> None:
        while True:
            try:
                readable, _, _ = select.select([self.sock, self.wake_read], [], [])
            except InterruptedError:
                continue
            if self.wake_read in readable:
                try:
                    while os.read(self.wake_read, 512):
                        pass
                except BlockingIOError:
                    pass
            self.reap()
            if self.sock in readable and not self.handle_request():
                self.stop()
                return

    def fork_spare(self) -> None:
        """Fork the child the next request will use, so a call does not wait for a fork."""
        directory = tempfile.mkdtemp(prefix="omc-sandbox-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        base = {
            "user": self.layers.get("user"),
            "seccomp": self.layers.get("seccomp_program") or None,
        }
        pid = os.fork()
        if pid == 0:
            from omc.lab.sandbox.child import wait_as_spare

            ours.close()
            wait_as_spare(theirs.detach(), self.pid, directory, base)
            os._exit(70)  # pragma: no cover - wait_as_spare never returns
        theirs.close()
        self.spare = (pid, ours, directory)

    def handle_request(self) -> bool:
        fds = array.array("i")
        try:
            message, ancillary, _, _ = self.sock.recvmsg(65536, socket.CMSG_SPACE(MAX_FDS * 4))
        except ConnectionError:
            return False
        if not message:
            return False
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
        if len(fds) != MAX_FDS:
            for fd in fds:
                os.close(fd)
            self.sock.send(json.dumps({"error": "bad request"}).encode())
            return True
        in_fd, out_fd, out_memfd, status_fd = fds
        request = json.loads(message)
        plan = {"limits": request["limits"], "probe": bool(request.get("probe", False))}
        pid = None
        for _attempt in (1, 2):
            if self.spare is None:
                self.fork_spare()
            assert self.spare is not None
            pid, spare_sock, directory = self.spare
            self.spare = None
            try:
                spare_sock.sendmsg(
                    [json.dumps(plan).encode()],
                    [
                        (
                            socket.SOL_SOCKET,
                            socket.SCM_RIGHTS,
                            bytes(array.array("i", [in_fd, out_fd, out_memfd])),
                        )
                    ],
                )
                break
            except OSError:  # the spare died while it waited: use a new one
                self._abandon(pid, directory)
                pid = None
            finally:
                spare_sock.close()
        for fd in (in_fd, out_fd, out_memfd):
            os.close(fd)
        if pid is None:
            os.close(status_fd)
            self.sock.send(json.dumps({"error": "no child could start"}).encode())
            return True
        self.children[pid] = (status_fd, directory)
        self.sock.send(json.dumps({"pid": pid}).encode())
        self.fork_spare()
        return True

    def _abandon(self, pid: int | None, directory: str) -> None:
        if pid is not None:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(directory, ignore_errors=True)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if self.spare is not None and self.spare[0] == pid:
                self.spare[1].close()
                shutil.rmtree(self.spare[2], ignore_errors=True)
                self.spare = None
            status_fd, directory = self.children.pop(pid, (None, None))
            if status_fd is not None and status_fd >= 0:
                with contextlib.suppress(OSError):
                    os.write(status_fd, json.dumps({"pid": pid, "status": status}).encode())
                os.close(status_fd)
            if directory:
                shutil.rmtree(directory, ignore_errors=True)

    def stop(self) -> None:
        if self.spare is not None:
            pid, spare_sock, directory = self.spare
            spare_sock.close()
            self.children[pid] = (-1, directory)
            self.spare = None
        for pid in list(self.children):
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
        for pid in list(self.children):
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            _, directory = self.children.pop(pid)
            shutil.rmtree(directory, ignore_errors=True)


def main(fd: int) -> None:
    sock = socket.socket(fileno=fd)
    os.chdir("/")
    server = Server(sock)
    server.start()
    server.serve()


if __name__ == "__main__":
    main(int(sys.argv[1]))
