"""``[lab]``: settings of the research lab. The ``sandbox_*`` limits are the sandbox's
(:mod:`omc.lab.sandbox`); later lab parts add their own fields here."""

from __future__ import annotations

from pydantic import Field

from omc.settings.sections import SectionModel


class LabSettings(SectionModel):
    """``[lab]``: the research lab. The ``sandbox_*`` limits bound every run of untrusted code
    (:mod:`omc.lab.sandbox`); memory is what the code may add to the pre-warmed interpreter."""

    sandbox_memory_mib: int = Field(default=1024, ge=64)
    sandbox_cpu_seconds: int = Field(default=30, ge=1)
    sandbox_wall_seconds: float = Field(default=60.0, gt=0)
    sandbox_output_mib: int = Field(default=64, ge=1)
    sandbox_print_kib: int = Field(default=64, ge=1)
    sandbox_open_files: int = Field(default=64, ge=16)
    sandbox_processes: int = Field(default=1, ge=0)
