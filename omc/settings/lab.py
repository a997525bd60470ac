"""``[lab]``: settings of the research lab. The ``sandbox_*`` limits are the sandbox's
(:mod:`omc.lab.sandbox`); ``parallel_*`` and ``dask_scheduler`` say how searches run their fits;
later lab parts add their own fields here."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from omc.settings.sections import SectionModel


class LabSettings(SectionModel):
    """``[lab]``: the research lab. The ``sandbox_*`` limits bound every run of untrusted code
    (:mod:`omc.lab.sandbox`); memory is what the code may add to the pre-warmed interpreter.

    Folds and trials of a search run in parallel through joblib: ``parallel_backend`` ``loky``
    (local processes, the default; ``parallel_jobs`` of them, -1 = every core) or ``dask`` on
    the Dask distributed scheduler named by ``dask_scheduler`` (``tcp://host:8786``; needs the
    ``omc[dask]`` extra)."""

    sandbox_memory_mib: int = Field(default=1024, ge=64)
    sandbox_cpu_seconds: int = Field(default=30, ge=1)
    sandbox_wall_seconds: float = Field(default=60.0, gt=0)
    sandbox_output_mib: int = Field(default=64, ge=1)
    sandbox_print_kib: int = Field(default=64, ge=1)
    sandbox_open_files: int = Field(default=64, ge=16)
    sandbox_processes: int = Field(default=1, ge=0)
    parallel_backend: Literal["loky", "dask"] = "loky"
    dask_scheduler: str | None = None
    parallel_jobs: int = Field(default=-1, ge=-1)
    # The bar a lab candidate's out-of-sample record must clear before the person is asked to
    # store it as `validated` (below it, it stays a draft).
    validated_min_deflated_sharpe: float = Field(default=0.95, ge=-10, le=1)
    validated_max_pbo: float = Field(default=0.5, gt=0, le=1.01)
    validated_beats_buy_and_hold: bool = True

    @field_validator("parallel_jobs")
    @classmethod
    def _some_jobs(cls, value: int) -> int:
        if value == 0:
            raise ValueError("parallel_jobs must be -1 (every core) or a number of processes")
        return value
