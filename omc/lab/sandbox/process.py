"""The process layer, as the child applies it to itself before it runs untrusted code.

Its own session and process group (so the caller can kill it and anything it started), death
with its parent, no inherited file descriptors but its two pipes, an empty environment, an empty
temporary working directory, an unprivileged user when it runs as root, and no way back to
privileges. The rlimits are in :mod:`omc.lab.sandbox.limits`.
"""

from __future__ import annotations

import contextlib
import os
import pwd

from omc.lab.sandbox.kernel import PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, die_with_parent, prctl

UNPRIVILEGED_USER = "nobody"


def unprivileged_ids(name: str = UNPRIVILEGED_USER) -> tuple[int, int] | None:
    """The uid and gid the child drops to when it runs as root, or None when it cannot."""
    if os.geteuid() != 0:
        return None
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        return None
    if entry.pw_uid == 0:
        return None
    return entry.pw_uid, entry.pw_gid


def detach(parent_pid: int) -> None:
    """A session and process group of its own, and SIGKILL when the fork server ends."""
    os.setsid()
    die_with_parent()
    if os.getppid() != parent_pid:  # the parent ended before PDEATHSIG was armed
        os._exit(1)


def close_inherited_files(keep: set[int]) -> None:
    """Close every file descriptor but ``keep``; standard streams become /dev/null."""
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd not in keep and fd != null:
            os.dup2(null, fd)
    if null not in (0, 1, 2):
        os.close(null)


def clear_environment() -> None:
    os.environ.clear()  # unsetenv for each, so the C library's environment is empty too


def enter_directory(path: str) -> None:
    os.chdir(path)


def drop_privileges(ids: tuple[int, int] | None) -> None:
    """Become the unprivileged user (when root), then forbid gaining privileges again and
    being inspected by other processes of that user."""
    if ids is not None:
        uid, gid = ids
        os.setgroups([])
        os.setresgid(gid, gid, gid)
        os.setresuid(uid, uid, uid)
        if os.geteuid() == 0 or os.getuid() == 0:
            raise OSError("could not drop root privileges")
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    prctl(PR_SET_DUMPABLE, 0)
