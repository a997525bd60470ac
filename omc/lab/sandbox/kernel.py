"""The kernel layer: no network (a new network namespace) and no new programs, sockets, debugging
or file writes (a seccomp filter through libseccomp).

The fork server moves itself into an empty network namespace once, so every child starts with
only a loopback device that is down, at no cost per call. The seccomp filter is loaded by each
child just before it runs the code; it cannot be removed again, and ``no_new_privs`` is set so
no program could gain privileges even if one were started.
"""

from __future__ import annotations

import ctypes
import errno
import os
import signal
from dataclasses import dataclass
from typing import Any

CLONE_NEWNET = 0x40000000
CLONE_NEWUSER = 0x10000000
CLONE_THREAD = 0x00010000
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

# Refused with EPERM: networking, new programs and processes, debugging other processes,
# namespaces and privileges, kernel and system administration.
DENIED_SYSCALLS = (
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4",
    "execve", "execveat", "fork", "vfork",
    "ptrace", "process_vm_readv", "process_vm_writev", "perf_event_open", "bpf",
    "userfaultfd", "pidfd_open", "pidfd_getfd", "kcmp",
    "unshare", "setns", "mount", "umount2", "pivot_root", "chroot",
    "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setfsuid",
    "setfsgid", "setgroups", "capset",
    "init_module", "finit_module", "delete_module", "kexec_load", "kexec_file_load", "reboot",
    "swapon", "swapoff", "acct", "settimeofday", "clock_settime", "adjtimex", "sethostname",
    "setdomainname", "iopl", "ioperm", "quotactl",
    "io_uring_setup", "io_uring_enter", "io_uring_register",
    "add_key", "request_key", "keyctl",
    "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "pidfd_send_signal",
    "creat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat",
    "rmdir", "link", "linkat", "symlink", "symlinkat", "chmod", "fchmod", "fchmodat", "chown",
    "fchown", "lchown", "fchownat", "truncate", "ftruncate", "fallocate", "mknod", "mknodat",
    "utime", "utimes", "utimensat", "futimesat",
)  # fmt: skip

# Refused with ENOSYS (their arguments are behind pointers seccomp cannot read): the C library
# falls back to the older calls, which the filter can judge.
UNSUPPORTED_SYSCALLS = ("clone3", "openat2")

WRITE_FLAGS = (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND)


@dataclass(frozen=True)
class KernelLayers:
    """Which kernel layers this host gives the sandbox, and why not where it does not."""

    network_namespace: bool
    network_namespace_note: str
    seccomp: bool
    seccomp_note: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "network_namespace": self.network_namespace,
            "network_namespace_note": self.network_namespace_note,
            "seccomp": self.seccomp,
            "seccomp_note": self.seccomp_note,
        }


def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


def prctl(option: int, value: int) -> None:
    if _libc().prctl(option, ctypes.c_ulong(value), 0, 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def die_with_parent() -> None:
    """SIGKILL this process when the process (thread) that forked it ends."""
    prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def _unshare(flags: int) -> None:
    if _libc().unshare(ctypes.c_int(flags)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def enter_network_namespace() -> tuple[bool, str]:
    """Move this process into a new, empty network namespace: as root directly, otherwise
    inside a new user namespace where the kernel allows unprivileged ones."""
    try:
        if os.geteuid() == 0:
            _unshare(CLONE_NEWNET)
            return True, "new network namespace: no interfaces but a down loopback"
        uid, gid = os.geteuid(), os.getegid()
        _unshare(CLONE_NEWUSER | CLONE_NEWNET)
        for path, text in (
            ("/proc/self/setgroups", "deny"),
            ("/proc/self/uid_map", f"{uid} {uid} 1"),
            ("/proc/self/gid_map", f"{gid} {gid} 1"),
        ):
            try:
                with open(path, "w") as handle:
                    handle.write(text)
            except OSError:
                pass
        return True, "new user and network namespace: no interfaces but a down loopback"
    except OSError as error:
        return False, f"not available: unshare refused ({errno.errorcode.get(error.errno, error)})"


def _seccomp_module() -> Any:
    import pyseccomp

    return pyseccomp


def seccomp_available() -> tuple[bool, str]:
    """Whether a filter can be built here (libseccomp loads and knows this architecture)."""
    try:
        export_program()
    except Exception as error:
        return False, f"not available: {type(error).__name__}: {error}"[:200]
    return True, f"libseccomp filter refusing {len(DENIED_SYSCALLS) + 6} kinds of system call"


def build_filter() -> Any:
    """The seccomp filter every child loads (default allow, the refusals above)."""
    seccomp = _seccomp_module()
    refuse = seccomp.ERRNO(errno.EPERM)
    syscall_filter = seccomp.SyscallFilter(defaction=seccomp.ALLOW)
    for name in DENIED_SYSCALLS:
        try:
            syscall_filter.add_rule(refuse, name)
        except (OSError, ValueError, RuntimeError):
            continue  # not a system call on this architecture
    for name in UNSUPPORTED_SYSCALLS:
        try:
            syscall_filter.add_rule(seccomp.ERRNO(errno.ENOSYS), name)
        except (OSError, ValueError, RuntimeError):
            continue
    # New processes: clone without CLONE_THREAD. (Threads die with the child in any case.)
    syscall_filter.add_rule(refuse, "clone", seccomp.Arg(0, seccomp.MASKED_EQ, CLONE_THREAD, 0))
    # Opening a file for writing, creating or truncating one.
    for flag in WRITE_FLAGS:
        for name, position in (("open", 1), ("openat", 2)):
            try:
                syscall_filter.add_rule(
                    refuse, name, seccomp.Arg(position, seccomp.MASKED_EQ, flag, flag)
                )
            except (OSError, ValueError, RuntimeError):
                continue
    return syscall_filter


def export_program() -> bytes:
    """The filter compiled to its BPF program, once, by the fork server: a child then loads it
    with one ``prctl`` instead of building it again."""
    read_end, write_end = os.pipe()
    try:
        with os.fdopen(write_end, "wb", closefd=True) as handle:
            build_filter().export_bpf(handle)
        chunks = []
        while chunk := os.read(read_end, 65536):
            chunks.append(chunk)
    finally:
        os.close(read_end)
    program = b"".join(chunks)
    if not program or len(program) % 8:
        raise OSError(errno.EINVAL, "libseccomp exported no filter program")
    return program


class _SockFilterProgram(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def load_program(program: bytes) -> None:
    """Set ``no_new_privs`` and load a BPF program from :func:`export_program` (for good)."""
    prctl(PR_SET_NO_NEW_PRIVS, 1)
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFilterProgram(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = _libc()
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


def load_seccomp() -> None:
    """Build the filter and load it into this process (for good)."""
    load_program(export_program())
