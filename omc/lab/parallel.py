"""Running a search's independent fits in parallel through joblib: local processes (``loky``)
or a Dask distributed cluster (``dask``), as ``[lab] parallel_backend`` says."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from omc.lab.errors import AlgorithmError
from omc.settings import LabSettings

Progress = Callable[[int, int], None]


@contextmanager
def _backend(settings: LabSettings) -> Iterator[int]:
    import joblib

    if settings.parallel_backend == "loky":
        with joblib.parallel_config(backend="loky", n_jobs=settings.parallel_jobs):
            yield settings.parallel_jobs
        return
    if not settings.dask_scheduler:
        raise AlgorithmError(
            "[lab] parallel_backend is dask but lab.dask_scheduler names no scheduler: set it "
            "to the address of a Dask distributed scheduler (tcp://HOST:8786)."
        )
    try:
        from distributed import Client
    except ImportError:
        raise AlgorithmError(
            "[lab] parallel_backend is dask, which needs the dask extra: pip install 'omc[dask]'."
        ) from None
    try:
        client = Client(settings.dask_scheduler, timeout=10, set_as_default=False)
    except OSError as error:
        raise AlgorithmError(
            f"Cannot reach the Dask scheduler at {settings.dask_scheduler}: {error}."
        ) from None
    try:
        with client.as_current(), joblib.parallel_config(backend="dask", n_jobs=-1):
            yield -1
    finally:
        client.close()


def run_tasks(
    function: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    settings: LabSettings | None = None,
    progress: Progress | None = None,
) -> list[Any]:
    """``[function(*task) for task in tasks]``, in parallel, results in task order."""
    import joblib

    settings = settings or LabSettings()
    results = []
    if progress is not None:
        progress(0, len(tasks))
    if settings.parallel_jobs == 1 and settings.parallel_backend == "loky":
        for done, task in enumerate(tasks, start=1):
            results.append(function(*task))
            if progress is not None:
                progress(done, len(tasks))
        return results
    with _backend(settings) as jobs:
        calls = (joblib.delayed(function)(*task) for task in tasks)
        for done, result in enumerate(
            joblib.Parallel(n_jobs=jobs, return_as="generator")(calls), start=1
        ):
            results.append(result)
            if progress is not None:
                progress(done, len(tasks))
    return results
