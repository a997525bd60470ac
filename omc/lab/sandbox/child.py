"""The child the fork server starts for one run: set up every layer, run the code, reply.

The server forks a *spare* child ahead of time, which detaches, closes every inherited file
descriptor, empties its environment and enters its empty directory, then waits. A request hands
it the run's input (a memfd holding the message the caller wrote) and its output pipe. What
needs privileges or forbidden system calls (reading the input, dropping to the unprivileged
user) comes first; the seccomp filter is loaded last, just before the untrusted code runs.
"""

from __future__ import annotations

import array
import contextlib
import json
import mmap
import os
import signal
import socket
import sys
from typing import Any

from omc.lab.sandbox import kernel, process
from omc.lab.sandbox.execute import execute
from omc.lab.sandbox.limits import SandboxLimits, apply_rlimits
from omc.lab.sandbox.serialize import HEADER, decode, encode_reply

HANDED_FDS = 3  # input memfd, output pipe, output memfd
PIPED, MAPPED = b"P", b"M"


def write_all(fd: int, parts: list[Any]) -> None:
    for part in parts:
        view = memoryview(part).cast("B")
        while view.nbytes:
            written = os.write(fd, view)
            view = view[written:]


def read_input(fd: int) -> Any:
    """The request in the caller's memfd, mapped privately and lazily: only the pages the code
    reads are faulted in, arrays built on it are writable, and the caller's copy is never
    touched."""
    size = os.fstat(fd).st_size
    if size == 0:
        raise ValueError("empty request")
    mapping = mmap.mmap(fd, size, flags=mmap.MAP_PRIVATE, prot=mmap.PROT_READ | mmap.PROT_WRITE)
    os.close(fd)
    return decode(memoryview(mapping))


def _reply(out_fd: int, reply: dict[str, Any], limits: SandboxLimits, out_memfd: int) -> None:
    """The reply: its length and where it is. A large one goes into the caller's output memfd
    (one copy, no streaming through the pipe); a small one, or one the memfd cannot take,
    follows its length down the pipe."""
    try:
        parts = encode_reply(reply, limit=limits.output_bytes)
    except OverflowError as error:
        parts = encode_reply({"status": "error", "kind": "output", "size": int(error.args[0])})
    except TypeError as error:  # Unsupported: a result of a forbidden type
        parts = encode_reply({"status": "error", "kind": "result", "message": str(error)})
    total = sum(memoryview(part).nbytes for part in parts)
    header = HEADER.pack(total)
    if out_memfd >= 0 and total > MAPPED_FROM and _map_reply(out_memfd, parts, total):
        write_all(out_fd, [header, MAPPED])
        return
    write_all(out_fd, [header, PIPED, *parts])


MAPPED_FROM = 256 * 1024


def _map_reply(out_memfd: int, parts: list[Any], total: int) -> bool:
    try:
        if os.fstat(out_memfd).st_size < total:
            return False
        mapping = mmap.mmap(out_memfd, total, flags=mmap.MAP_SHARED)
    except (OSError, ValueError, MemoryError):
        return False  # over the address-space limit, say: the pipe still works
    offset = 0
    for part in parts:
        view = memoryview(part).cast("B")
        mapping[offset : offset + view.nbytes] = view
        offset += view.nbytes
    mapping.close()
    return True


def wait_as_spare(sock_fd: int, server_pid: int, directory: str, base: dict[str, Any]) -> None:
    """Never returns. Prepare what does not depend on the run, wait for it, run it."""
    try:
        signal.set_wakeup_fd(-1)
        for number in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(number, signal.SIG_DFL)
        process.detach(server_pid)
        process.close_inherited_files({sock_fd})
        process.clear_environment()
        process.enter_directory(directory)
        sock = socket.socket(fileno=sock_fd)
        fds = array.array("i")
        message, ancillary, _, _ = sock.recvmsg(65536, socket.CMSG_SPACE(HANDED_FDS * 4))
        for level, kind, data in ancillary:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
        sock.close()
        if not message or len(fds) != HANDED_FDS:
            os._exit(0)  # the server ended, or a broken hand-over: nothing to run
        plan = {**base, **json.loads(message)}
    except BaseException:
        os._exit(70)
    run_child(fds[0], fds[1], plan, fds[2])


def run_child(in_fd: int, out_fd: int, plan: dict[str, Any], out_memfd: int = -1) -> None:
    """Never returns: the child ends with ``os._exit``."""
    code = 70
    limits = SandboxLimits.from_dict(plan["limits"])
    try:
        request = read_input(in_fd)
        ids = tuple(plan["user"]) if plan["user"] else None
        process.drop_privileges(ids)  # type: ignore[arg-type]
        apply_rlimits(limits)
        sys.dont_write_bytecode = True
        if plan["seccomp"]:
            kernel.load_program(plan["seccomp"])
        if plan.get("probe"):
            from omc.lab.sandbox.probe import run_probe

            reply = {"status": "ok", "result": run_probe({out_fd})}
        else:
            reply = execute(request["code"], request["inputs"], limits.print_bytes)
        reply["applied"] = {
            "user": os.getuid(),
            "seccomp": bool(plan["seccomp"]),
            "pid": os.getpid(),
        }
        _reply(out_fd, reply, limits, out_memfd)
        code = 0
    except BaseException as error:  # the setup failed: say so, never with a traceback
        kind = "memory" if isinstance(error, MemoryError) else "internal"
        message = (
            "MemoryError" if kind == "memory" else f"sandbox setup failed ({type(error).__name__})"
        )
        with contextlib.suppress(BaseException):
            _reply(out_fd, {"status": "error", "kind": kind, "message": message}, limits, -1)
    finally:
        os._exit(code)
