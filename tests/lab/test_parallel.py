"""The search's fits give the same results run one by one, on local processes, or on Dask."""

from __future__ import annotations

import numpy as np
import pytest

from omc.lab.errors import AlgorithmError
from omc.lab.evaluation import fit_and_score
from omc.lab.parallel import run_tasks
from omc.lab.walk_forward import purged_folds
from omc.settings import LabSettings


@pytest.fixture
def tasks():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(600, 4))
    y = (x[:, 0] + rng.normal(size=600) > 0).astype(float)
    folds = purged_folds(np.arange(600), folds=3, horizon_bars=5, embargo_bars=2)
    return [
        (
            "hist_gradient_boosting_classifier",
            {"max_iter": 50},
            0,
            x,
            y,
            fold.train_rows,
            fold.test_start,
            fold.test_end,
        )
        for fold in folds
    ]


def _sequential(tasks):
    return run_tasks(fit_and_score, tasks, LabSettings(parallel_jobs=1))


def test_local_processes_give_the_sequential_results_in_order(tasks):
    seen = []
    parallel = run_tasks(
        fit_and_score,
        tasks,
        LabSettings(parallel_jobs=2),
        progress=lambda done, total: seen.append((done, total)),
    )
    for got, expected in zip(parallel, _sequential(tasks), strict=True):
        assert np.array_equal(got, expected)
    assert seen[0] == (0, 3)
    assert seen[-1] == (3, 3)


def test_a_dask_cluster_gives_the_same_results(tasks):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, dashboard_address=None
    ) as cluster:
        settings = LabSettings(parallel_backend="dask", dask_scheduler=cluster.scheduler_address)
        results = run_tasks(fit_and_score, tasks, settings)
    for got, expected in zip(results, _sequential(tasks), strict=True):
        assert np.array_equal(got, expected)


def test_dask_without_a_scheduler_is_a_clear_error(tasks):
    with pytest.raises(AlgorithmError, match=r"lab\.dask_scheduler names no scheduler"):
        run_tasks(fit_and_score, tasks, LabSettings(parallel_backend="dask"))


def test_parallel_settings_come_from_the_lab_section(monkeypatch):
    from omc.settings import load_settings

    monkeypatch.setenv("OMC_LAB__PARALLEL_BACKEND", "dask")
    monkeypatch.setenv("OMC_LAB__DASK_SCHEDULER", "tcp://10.0.0.5:8786")
    lab = load_settings().settings.lab
    assert (lab.parallel_backend, lab.dask_scheduler) == ("dask", "tcp://10.0.0.5:8786")
