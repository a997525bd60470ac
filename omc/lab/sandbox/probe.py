"""A fixed self-test that a sandboxed child runs instead of code: it tries what every layer
below the language must stop, so `omc lab doctor` and the tests see the layers hold on their
own (as if the language layer had been passed)."""

from __future__ import annotations

import os
import resource
import socket
from typing import Any


def _attempt(action: Any) -> str:
    try:
        action()
    except OSError as error:
        return f"refused ({os.strerror(error.errno) if error.errno else error})"
    return "allowed"


def _write_file() -> None:
    with open("probe-file", "w") as handle:
        handle.write("x")


def _interfaces() -> list[str] | None:
    try:
        with open("/proc/self/net/dev", "rb") as handle:
            lines = handle.read().decode().splitlines()[2:]
    except OSError:
        return None
    return [line.split(":", 1)[0].strip() for line in lines]


def _listdir(path: str) -> list[str] | None:
    try:
        return sorted(os.listdir(path))
    except OSError:
        return None


def run_probe(kept_fds: set[int]) -> dict[str, Any]:
    """What the child's environment looks like and what it may do. Ends by trying to start a
    program: if that worked, this process is gone and no reply comes (which the caller reads
    as a failure)."""
    report: dict[str, Any] = {
        "uid": os.getuid(),
        "gid": os.getgid(),
        "environment": sorted(os.environ),
        "directory_entries": _listdir("."),
        "open_fds": _listdir("/proc/self/fd"),
        "interfaces": _interfaces(),
        "rlimits": {
            name: list(resource.getrlimit(getattr(resource, f"RLIMIT_{name.upper()}")))
            for name in ("as", "cpu", "fsize", "nofile", "nproc", "core")
        },
        "socket_inet": _attempt(lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),
        "socket_unix": _attempt(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)),
        "write_file": _attempt(_write_file),
        "write_tmp": _attempt(lambda: os.open("/tmp/omc-probe", os.O_WRONLY | os.O_CREAT)),  # noqa: S108
        "fork": _attempt(lambda: os._exit(0) if os.fork() == 0 else None),
        "kill_parent": _attempt(lambda: os.kill(os.getppid(), 0)),
        "kept_fds": sorted(kept_fds),
    }
    report["exec"] = _attempt(lambda: os.execv("/bin/true", ["true"]))  # noqa: S606
    return report
