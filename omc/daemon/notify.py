"""sd_notify: tell systemd (or a test) that the daemon is ready, alive, reloading or stopping.

The protocol is one datagram per message on the unix socket named by ``NOTIFY_SOCKET`` (a path,
or ``@name`` for the abstract namespace), so a few lines of socket code replace a dependency.
Without ``NOTIFY_SOCKET`` every call is a no-op and the daemon just runs.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Mapping

log = logging.getLogger(__name__)


class Notifier:
    """Sends ``READY=1``, ``WATCHDOG=1``, ``STATUS=…`` and friends; never raises."""

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        environ = os.environ if environ is None else environ
        address = environ.get("NOTIFY_SOCKET", "")
        self.address = "\0" + address[1:] if address.startswith("@") else address
        self._socket: socket.socket | None = None
        watchdog_usec = environ.get("WATCHDOG_USEC", "")
        watchdog_pid = environ.get("WATCHDOG_PID", "")
        pid_matches = not watchdog_pid or watchdog_pid == str(os.getpid())
        self.watchdog_seconds = (
            int(watchdog_usec) / 1_000_000 if watchdog_usec.isdigit() and pid_matches else None
        )

    @property
    def enabled(self) -> bool:
        return bool(self.address)

    def send(self, *fields: str) -> None:
        if not self.address:
            return
        try:
            if self._socket is None:
                self._socket = socket.socket(
                    socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC
                )
            self._socket.sendto("\n".join(fields).encode(), self.address)
        except OSError as error:
            log.debug("sd_notify to %s failed: %s", self.address, error)

    def ready(self, status: str) -> None:
        self.send("READY=1", f"STATUS={status}", f"MAINPID={os.getpid()}")

    def reloading(self) -> None:
        usec = time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000
        self.send("RELOADING=1", f"MONOTONIC_USEC={usec}", "STATUS=reloading configuration")

    def stopping(self) -> None:
        self.send("STOPPING=1", "STATUS=stopping")

    def watchdog(self) -> None:
        self.send("WATCHDOG=1")

    def status(self, line: str) -> None:
        self.send(f"STATUS={line}")

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None
