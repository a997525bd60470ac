"""Which process sent an order (``host:pid:start``), and whether that process is gone.

A ``submitting`` row whose process has died (kill -9, a crash, a power cut) can never be
answered: it is ``unknown`` at once instead of after ``floor.unknown_after_seconds``.
"""

from __future__ import annotations

import functools
import os
import socket
from pathlib import Path


def _start_ticks(pid: int) -> str | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # Field 22 (starttime) comes after the command name, which is in parentheses.
    fields = stat.rsplit(")", 1)[-1].split()
    return fields[19] if len(fields) > 19 else None


@functools.cache
def _host() -> str:
    return socket.gethostname()[:50]


@functools.cache
def _owner(pid: int) -> str:
    return f"{_host()}:{pid}:{_start_ticks(pid) or '?'}"


def current_owner() -> str:
    return _owner(os.getpid())  # by pid: a forked child is another owner


def owner_is_dead(owner: str | None) -> bool:
    """True only when ``owner`` ran on this host and is surely no longer running (its pid is
    gone, or now belongs to a process that started at another time)."""
    parts = (owner or "").rsplit(":", 2)
    if len(parts) != 3 or parts[0] != _host():
        return False
    _, pid_text, start = parts
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    now_start = _start_ticks(pid)
    if now_start is not None:
        return start != "?" and now_start != start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
