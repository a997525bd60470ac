"""The child the fork server starts for one run: set up every layer, run the code, reply.

The order matters: what needs privileges or forbidden system calls (reading the request,
dropping to the unprivileged user) comes first; the seccomp filter is loaded last, just before
the untrusted code runs.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from typing import Any

from omc.lab.sandbox import kernel, process
from omc.lab.sandbox.execute import execute
from omc.lab.sandbox.limits import SandboxLimits, apply_rlimits
from omc.lab.sandbox.serialize import decode, encode, encode_reply


def read_all(fd: int) -> bytearray:
    """Everything until end of file, into a writable buffer (arrays built on it are writable)."""
    data = bytearray()
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return data
        data += chunk


def write_all(fd: int, parts: list[Any]) -> None:
    for part in parts:
        view = memoryview(part)
        while view.nbytes:
            written = os.write(fd, view)
            view = view[written:]


def _reply(out_fd: int, reply: dict[str, Any], limits: SandboxLimits) -> None:
    try:
        parts = encode_reply(reply, limit=limits.output_bytes)
    except OverflowError as error:
        parts = encode({"status": "error", "kind": "output", "size": int(error.args[0])})
    except TypeError as error:  # Unsupported: a result of a forbidden type
        parts = encode({"status": "error", "kind": "result", "message": str(error)})
    write_all(out_fd, parts)


def run_child(in_fd: int, out_fd: int, plan: dict[str, Any]) -> None:
    """Never returns: the child ends with ``os._exit``."""
    code = 70
    limits = SandboxLimits.from_dict(plan["limits"])
    try:
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        process.detach(plan["server_pid"])
        process.close_inherited_files({in_fd, out_fd})
        process.clear_environment()
        process.enter_directory(plan["directory"])
        request = decode(read_all(in_fd))
        os.close(in_fd)
        ids = tuple(plan["user"]) if plan["user"] else None
        process.drop_privileges(ids)  # type: ignore[arg-type]
        apply_rlimits(limits)
        sys.dont_write_bytecode = True
        if plan["seccomp"]:
            kernel.load_seccomp()
        if plan.get("probe"):
            from omc.lab.sandbox.probe import run_probe

            reply = {"status": "ok", "result": run_probe({in_fd, out_fd})}
        else:
            reply = execute(request["code"], request["inputs"], limits.print_bytes)
        reply["applied"] = {"user": os.getuid(), "seccomp": bool(plan["seccomp"])}
        _reply(out_fd, reply, limits)
        code = 0
    except BaseException as error:  # the setup failed: say so, never with a traceback
        kind = "memory" if isinstance(error, MemoryError) else "internal"
        message = (
            "MemoryError" if kind == "memory" else f"sandbox setup failed ({type(error).__name__})"
        )
        with contextlib.suppress(BaseException):
            _reply(out_fd, {"status": "error", "kind": kind, "message": message}, limits)
    finally:
        os._exit(code)
