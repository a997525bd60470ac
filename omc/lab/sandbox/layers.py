"""Which of the sandbox's layers this host gives, found without starting the fork server.

``omc status`` shows this; ``omc lab doctor`` also asks a real sandboxed child (see
:mod:`omc.lab.sandbox.doctor`). The kernel layers are tried for real, in a forked process that
ends at once, so the answer is the kernel's and not a guess from configuration files.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Layer:
    name: str
    active: bool
    note: str

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def _try_network_namespace() -> tuple[bool, str]:
    """Fork, try to enter a new network namespace in the child, report its answer."""
    from omc.lab.sandbox.kernel import enter_network_namespace

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the probe child
        try:
            active, note = enter_network_namespace()
            os.write(write_end, (("1" if active else "0") + note).encode()[:500])
        finally:
            os._exit(0)
    os.close(write_end)
    try:
        answer = os.read(read_end, 600).decode(errors="replace")
    finally:
        os.close(read_end)
        os.waitpid(pid, 0)
    if not answer:
        return False, "not available: the probe gave no answer"
    return answer[0] == "1", answer[1:]


def detect_layers() -> list[Layer]:
    """The four layers and whether each is active here, with a note saying how or why not."""
    from omc.lab.sandbox import kernel, process

    network, network_note = _try_network_namespace()
    seccomp, seccomp_note = kernel.seccomp_available()
    ids = process.unprivileged_ids()
    if ids is not None:
        user = Layer("unprivileged user", True, f"drops from root to {process.UNPRIVILEGED_USER}")
    elif os.geteuid() == 0:
        user = Layer("unprivileged user", False, f"no {process.UNPRIVILEGED_USER} user to drop to")
    else:
        user = Layer("unprivileged user", True, "runs as the caller's own unprivileged user")
    return [
        Layer("language", True, "RestrictedPython policy, attribute and import guards"),
        Layer(
            "process",
            True,
            "fork server child: rlimits, wall clock, own process group, no inherited files, "
            "empty environment and directory",
        ),
        user,
        Layer("network namespace", network, network_note),
        Layer("seccomp", seccomp, seccomp_note),
        Layer("data boundary", True, "JSON and raw arrays, never pickle; output cap"),
    ]


def summary(layers: list[Layer]) -> str:
    """One line: the active layers, and those missing."""
    active = [layer.name for layer in layers if layer.active]
    missing = [layer.name for layer in layers if not layer.active]
    text = "sandbox layers: " + ", ".join(active)
    return text + (f" (not available here: {', '.join(missing)})" if missing else "")
