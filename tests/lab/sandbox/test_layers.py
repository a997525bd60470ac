"""Each layer holds on its own: a test per layer shows it stopping something the others let
through (or would, were they passed).

The kernel layers are tried in forked children of the test process (trusted code playing the
part of an escaped sandbox), and through the real fork server's probe child. On this project's
machines they must run: under CI=true a missing layer fails instead of skipping.
"""

from __future__ import annotations

import os
import socket

import pytest

from omc.lab.sandbox import kernel, process
from omc.lab.sandbox.execute import execute
from tests.lab.sandbox import conftest
from tests.lab.sandbox.conftest import require_layer, run_forked

# --- language layer, alone: no child process, no rlimits, no kernel layer ---------------------


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        ("import numpy as np\nresult = np.lib.npyio", "refused"),
        ("import numpy as np\nresult = getattr(np, 'lo' + 'ad')", "refused"),
        ("import pandas as pd\nresult = pd.read_csv('/etc/passwd')", "rejected"),
        ("result = ().__class__.__base__.__subclasses__()", "rejected"),
        ("import os", "rejected"),
        ("handle = open('/etc/passwd')", "code"),
    ],
)
def test_language_layer_alone_refuses_files_modules_and_internals(code, kind):
    reply = execute(code, {}, 1000)
    assert reply["status"] == "error"
    assert reply["kind"] == kind
    if kind == "code":
        assert reply["type"] == "NameError"


# --- process layer, alone: what an escaped interpreter would still be denied ------------------


def _process_layer_only(keep_fd: int, directory: str):
    from omc.lab.sandbox.limits import SandboxLimits, apply_rlimits

    def child():
        os.environ["OMC_SECRET_OF_THE_PARENT"] = "hunter2"
        process.close_inherited_files({keep_fd, conftest.REPLY_FD})
        process.clear_environment()
        process.enter_directory(directory)
        process.drop_privileges(process.unprivileged_ids())
        apply_rlimits(SandboxLimits(memory_bytes=128 << 20))
        report = {"environment": dict(os.environ), "uid": os.getuid()}
        report["fds"] = sorted(int(fd) for fd in os.listdir("/proc/self/fd"))
        for name, attempt in {
            "write": lambda: os.write(os.open("out.txt", os.O_WRONLY | os.O_CREAT), b"x"),
            "fork": lambda: os._exit(0) if os.fork() == 0 else None,
            "allocate": lambda: bytearray(512 << 20),
        }.items():
            try:
                attempt()
                report[name] = "allowed"
            except (OSError, MemoryError) as error:
                report[name] = f"refused: {type(error).__name__}"
        return report

    return child


def test_process_layer_alone_empties_the_environment_drops_root_and_limits(tmp_path):
    os.chmod(tmp_path, 0o777)
    read_end, keep = os.pipe()
    try:
        reply = run_forked(_process_layer_only(keep, str(tmp_path)))
    finally:
        os.close(read_end)
        os.close(keep)
    assert reply["ok"], reply
    report = reply["value"]
    assert report["environment"] == {}
    if os.geteuid() == 0:
        assert report["uid"] == 65534
    assert report["write"].startswith("refused")  # RLIMIT_FSIZE 0 (or the directory's owner)
    assert report["fork"].startswith("refused")  # RLIMIT_NPROC
    assert report["allocate"] == "refused: MemoryError"  # RLIMIT_AS
    assert not (tmp_path / "out.txt").exists() or (tmp_path / "out.txt").stat().st_size == 0


def test_the_process_layer_closes_inherited_descriptors_but_its_own():
    secret_read, secret_write = os.pipe()
    keep_read, keep_write = os.pipe()

    def child():
        process.close_inherited_files({keep_write, conftest.REPLY_FD})
        return sorted(int(fd) for fd in os.listdir("/proc/self/fd"))

    try:
        reply = run_forked(child)
    finally:
        for fd in (secret_read, secret_write, keep_read, keep_write):
            os.close(fd)
    fds = set(reply["value"])
    assert keep_write in fds
    assert secret_read not in fds
    assert secret_write not in fds
    # 0-2 are /dev/null now; one more is listdir's own descriptor, and one the helper's reply.
    assert len(fds - {0, 1, 2, keep_write}) <= 2


# --- kernel layer, alone: trusted code that could call anything is stopped by the kernel ------


def test_network_namespace_alone_cuts_the_child_off_from_a_loopback_server():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    port = listener.getsockname()[1]

    def connect():
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            return "connected"

    def connect_from_namespace():
        entered, why = kernel.enter_network_namespace()
        if not entered:
            return f"unavailable: {why}"
        try:
            return connect()
        except OSError as error:
            return f"refused: {os.strerror(error.errno) if error.errno else error}"

    try:
        control = run_forked(connect)
        isolated = run_forked(connect_from_namespace)
    finally:
        listener.close()
    assert control == {"ok": True, "value": "connected"}
    assert isolated["ok"], isolated
    require_layer(not isolated["value"].startswith("unavailable"), isolated["value"])
    assert isolated["value"].startswith("refused")


def _seccomp_child(target):
    def child():
        kernel.load_seccomp()
        return target()

    return child


@pytest.mark.parametrize(
    "name",
    ["socket", "unix_socket", "exec", "fork", "write_file", "kill_other", "ptrace"],
)
def test_seccomp_alone_refuses_sockets_programs_processes_and_writes(name, tmp_path):
    available, note = kernel.seccomp_available()
    require_layer(available, note)
    target = tmp_path / "written.txt"
    victim = os.getpid()

    def attempts():
        import ctypes

        actions = {
            "socket": lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM),
            "unix_socket": lambda: socket.socket(socket.AF_UNIX, socket.SOCK_STREAM),
            "exec": _exec_replying_allowed,
            "fork": lambda: os._exit(0) if os.fork() == 0 else None,
            "write_file": lambda: open(target, "w"),
            "kill_other": lambda: os.kill(victim, 0),
            "ptrace": lambda: _ptrace_traceme(ctypes),
        }
        try:
            actions[name]()
        except OSError as error:
            return f"refused: {error.errno}"
        return "allowed"

    control = run_forked(attempts)
    assert control["value"] == "allowed"  # without the filter, the same call works
    if name == "write_file":
        target.unlink()
    reply = run_forked(_seccomp_child(attempts))
    assert reply["value"] == "refused: 1"  # EPERM
    assert not target.exists()


def _exec_replying_allowed() -> None:
    """Start a program that answers in the helper's place (when exec is not refused)."""
    os.dup2(conftest.REPLY_FD, 1)
    os.execv("/bin/sh", ["sh", "-c", 'printf \'{"ok": true, "value": "allowed"}\''])


def _ptrace_traceme(ctypes) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.ptrace(0, 0, 0, 0) != 0:  # PTRACE_TRACEME
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))


# --- all layers together, through the real fork server ----------------------------------------


def test_the_fork_servers_probe_child_is_refused_everything_below_the_language(sandbox):
    layers = sandbox.layers()
    require_layer(layers["seccomp"], layers["seccomp_note"])
    require_layer(layers["network_namespace"], layers["network_namespace_note"])
    report = sandbox.probe()
    assert report["failed"] is False
    for attempt in ("socket_inet", "socket_unix", "write_file", "write_tmp", "fork", "exec",
                    "kill_parent"):  # fmt: skip
        assert report[attempt].startswith("refused"), attempt
    assert report["interfaces"] == ["lo"]
    assert report["environment"] == []
    if os.geteuid() == 0:
        assert report["uid"] == 65534
    assert report["rlimits"]["fsize"] == [0, 0]
    assert report["rlimits"]["cpu"] == [30, 31]
    assert report["rlimits"]["nproc"] == [1, 1]
    assert not os.path.exists("/tmp/omc-probe")


def test_host_layers_are_reported_as_active_on_this_machine():
    from omc.lab.sandbox.layers import detect_layers

    layers = {layer.name: layer for layer in detect_layers()}
    for name in ("network namespace", "seccomp"):
        require_layer(layers[name].active, layers[name].note)
    assert layers["unprivileged user"].active
