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
import json
import os
import select
import shutil
import signal
import socket
import sys
import tempfile
from typing import Any

MAX_FDS = 3
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


def layers_report() -> dict[str, Any]:
    from omc.lab.sandbox import kernel, process

    network, network_note = kernel.enter_network_namespace()
    seccomp, seccomp_note = kernel.seccomp_available()
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
    }


class Server:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.children: dict[int, tuple[int, str]] = {}  # pid -> (status fd, directory)
        self.layers: dict[str, Any] = {}
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
        self.sock.send(json.dumps({"ready": True, "pid": os.getpid(), **self.layers}).encode())

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
        in_fd, out_fd, status_fd = fds
        request = json.loads(message)
        directory = tempfile.mkdtemp(prefix="omc-sandbox-")
        plan = {
            "limits": request["limits"],
            "server_pid": os.getpid(),
            "directory": directory,
            "user": self.layers.get("user"),
            "seccomp": self.layers.get("seccomp", False),
            "probe": bool(request.get("probe", False)),
        }
        pid = os.fork()
        if pid == 0:
            from omc.lab.sandbox.child import run_child

            run_child(in_fd, out_fd, plan)
            os._exit(70)  # pragma: no cover - run_child never returns
        os.close(in_fd)
        os.close(out_fd)
        self.children[pid] = (status_fd, directory)
        self.sock.send(json.dumps({"pid": pid}).encode())
        return True

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            status_fd, directory = self.children.pop(pid, (None, None))
            if status_fd is not None:
                with contextlib.suppress(OSError):
                    os.write(status_fd, json.dumps({"pid": pid, "status": status}).encode())
                os.close(status_fd)
            if directory:
                shutil.rmtree(directory, ignore_errors=True)

    def stop(self) -> None:
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
