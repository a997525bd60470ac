"""The limits one run of sandboxed code gets, and how the child applies them with setrlimit."""

from __future__ import annotations

import resource
from dataclasses import asdict, dataclass
from typing import Any

MIB = 1024 * 1024


@dataclass(frozen=True)
class SandboxLimits:
    """Limits of one run. Defaults match the ``[lab]`` settings' defaults.

    ``memory_bytes`` is the address space the code may add to what the pre-warmed interpreter
    (numpy, pandas, scikit-learn and the inputs) already maps.
    """

    memory_bytes: int = 1024 * MIB
    cpu_seconds: int = 30
    wall_seconds: float = 60.0
    output_bytes: int = 64 * MIB
    print_bytes: int = 64 * 1024
    open_files: int = 64
    processes: int = 1

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            if value <= 0 and name != "processes":
                raise ValueError(f"sandbox limit {name} must be more than 0, not {value}")
            if value < 0:
                raise ValueError(f"sandbox limit {name} must not be negative, not {value}")

    @classmethod
    def from_settings(cls, lab: Any) -> SandboxLimits:
        """From the ``[lab]`` settings section (:class:`omc.settings.sections.LabSettings`)."""
        return cls(
            memory_bytes=int(lab.sandbox_memory_mib) * MIB,
            cpu_seconds=int(lab.sandbox_cpu_seconds),
            wall_seconds=float(lab.sandbox_wall_seconds),
            output_bytes=int(lab.sandbox_output_mib) * MIB,
            print_bytes=int(lab.sandbox_print_kib) * 1024,
            open_files=int(lab.sandbox_open_files),
            processes=int(lab.sandbox_processes),
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> SandboxLimits:
        return cls(**values)

    def describe(self) -> dict[str, str]:
        """The limits in words, for `omc lab doctor` and messages."""
        return {
            "memory": describe_bytes(self.memory_bytes),
            "cpu": f"{self.cpu_seconds} s",
            "wall clock": f"{self.wall_seconds:g} s",
            "output": describe_bytes(self.output_bytes),
            "print": describe_bytes(self.print_bytes),
            "open files": str(self.open_files),
            "processes": str(self.processes),
        }


def describe_bytes(value: int) -> str:
    for unit, size in (("GiB", 1024 * MIB), ("MiB", MIB), ("KiB", 1024)):
        if value >= size and value % size == 0:
            return f"{value // size} {unit}"
    return f"{value} bytes"


def current_address_space() -> int:
    """Bytes of virtual memory this process maps now (``VmSize``)."""
    with open("/proc/self/status", "rb") as status:
        for line in status:
            if line.startswith(b"VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_rlimits(limits: SandboxLimits) -> None:
    """Set the child's hard resource limits (it cannot raise them again).

    CPU: SIGXCPU at the limit, SIGKILL one second later. Files: no file may grow (size 0).
    """
    address_space = current_address_space() + limits.memory_bytes
    settings = [
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_FSIZE, 0),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_NPROC, limits.processes),
        (resource.RLIMIT_AS, address_space),
    ]
    for which, value in settings:
        resource.setrlimit(which, (value, value))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
