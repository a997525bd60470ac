"""Benchmark: the algorithms layer beside plain code doing the same work, in one run.

1. The standard feature matrix for one year of 5-minute bars (105,120 synthetic bars from
   omc.backtest.synthetic; there is no year of real 5-minute bars in ../shared/data) through
   the sandbox, beside the same pandas source run in-process with exec (target: <= 1.5x).
2. `omc lab recipe`'s work (run_recipe) on two years of real hourly BTC/USDT (imported from
   ../shared/data into a scratch SQLite database) with 10 folds and 20 trials, beside a plain
   scikit-learn script doing the same fits on the same matrix (TimeSeriesSplit with the purge as
   its gap, the same estimators and parameters, predict_proba on each test fold), both with
   the same number of processes (target: recipe <= 1.3x).

Not a test: it prints figures for the note. On this shared 2-core machine absolute times drift
with the other engineers' load; the ratios are measured back to back.

    python benchmarks/bench_algorithms.py [--jobs 1] [--repeats 5] [--trials 20] [--folds 10]
        [--only features|recipe] [--plain-first]

HistGradientBoosting uses OpenMP threads, which suffer badly when other processes load the
cores; OMP_NUM_THREADS=1 makes the two sides comparable on a busy machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

SHARED = Path(os.environ.get("OMC_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))
HOURLY_FILE = SHARED / "data" / "binance_BTCUSDT_1h_2020-10_2025-10.csv.gz"


def bench_features(repeats: int) -> None:
    from omc.backtest.synthetic import synthetic_bars
    from omc.lab.features import compute_features, empty_ledger_inputs, standard_feature_source

    bars = synthetic_bars(365 * 288, minutes=5)
    source = standard_feature_source(300.0, {})
    inputs = empty_ledger_inputs(bars.index)
    compute_features(source, bars, inputs)  # starts the sandbox's fork server
    sandboxed, plain = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        compute_features(source, bars, inputs)
        sandboxed.append(time.perf_counter() - start)
        start = time.perf_counter()
        scope = {"df": bars, **inputs}
        exec(compile(source, "<features>", "exec"), scope)  # noqa: S102  (omc's own source)
        plain.append(time.perf_counter() - start)
    sandbox_p50, plain_p50 = statistics.median(sandboxed), statistics.median(plain)
    print(f"feature matrix, {len(bars):,} 5-minute bars, standard set ({repeats} runs, p50):")
    print(f"  sandbox (compute_features)  {sandbox_p50 * 1000:8.1f} ms")
    print(f"  in-process exec             {plain_p50 * 1000:8.1f} ms")
    print(f"  ratio                       {sandbox_p50 / plain_p50:8.2f}x  (target <= 1.5x)")


def _plain_script(dataset, candidates, folds: int, gap: int, jobs: int, seed: int) -> float:
    """What a person would write with scikit-learn alone: the same fits on the same matrix."""
    import joblib
    from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import TimeSeriesSplit
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def make(kind, params):
        if kind == "logistic_regression":
            return make_pipeline(
                StandardScaler(), LogisticRegression(max_iter=1000, random_state=seed, **params)
            )
        if kind == "random_forest_classifier":
            return RandomForestClassifier(n_jobs=1, random_state=seed, **params)
        return HistGradientBoostingClassifier(early_stopping=False, random_state=seed, **params)

    x, y = dataset.x, dataset.y.astype(int)

    def fit(kind, params, train, test):
        model = make(kind, params).fit(x[train], y[train])
        return model.predict_proba(x[test])[:, 1]

    splits = list(TimeSeriesSplit(n_splits=folds, gap=gap).split(x))
    start = time.perf_counter()
    joblib.Parallel(n_jobs=jobs)(
        joblib.delayed(fit)(candidate.model_kind, dict(candidate.params), train, test)
        for candidate in candidates
        for train, test in splits
    )
    return time.perf_counter() - start


def bench_recipe(trials: int, folds: int, jobs: int, plain_first: bool) -> None:
    import datetime as dt

    from omc import schema
    from omc.backtest.data import BarsQuery
    from omc.db import make_engine
    from omc.lab.estimators import sample_candidates
    from omc.lab.evaluation import Candidate
    from omc.lab.recipe import RECIPE_CLASSIFIERS, RecipeOptions, prepare, run_recipe
    from omc.ledgers.history.importer import import_file
    from omc.settings import LabSettings

    with tempfile.TemporaryDirectory() as directory:
        home = Path(directory)
        engine = make_engine(f"sqlite:///{home / 'bench.sqlite3'}")
        schema.upgrade(engine)
        import_file(engine, HOURLY_FILE, coin="BTC", quote="USDT")
        since = dt.datetime(2023, 10, 6, 18, tzinfo=dt.UTC)  # the file's last two years
        options = RecipeOptions(
            "BTC", "USDT", since=since, trials=trials, folds=folds, name="bench"
        )
        settings = LabSettings(parallel_jobs=jobs)
        if plain_first:
            with engine.connect() as connection:
                prepared = prepare(
                    connection, BarsQuery("BTC", "USDT", since=since), options.horizon, None
                )
            candidates = [
                Candidate(number, kind, params)
                for number, (kind, params) in enumerate(
                    sample_candidates(list(RECIPE_CLASSIFIERS), trials, 0), start=1
                )
            ]
            gap = prepared.horizon_bars + prepared.embargo_bars
            plain_seconds = _plain_script(prepared.dataset, candidates, folds, gap, jobs, 0)
        stages: list[tuple[str, float]] = []
        start = time.perf_counter()
        current = ["starting"]
        last = [start]

        def stage(text: str) -> None:  # called as each step starts
            now = time.perf_counter()
            stages.append((current[0], now - last[0]))
            current[0], last[0] = text, now

        made = run_recipe(engine, home, options, settings=settings, stage=stage)
        recipe_seconds = time.perf_counter() - start
        stages.append((current[0] + ", saving it and its report", time.perf_counter() - last[0]))
        if not plain_first:
            with engine.connect() as connection:
                prepared = prepare(
                    connection, BarsQuery("BTC", "USDT", since=since), options.horizon, None
                )
            candidates = [
                Candidate(number, kind, params)
                for number, (kind, params) in enumerate(
                    sample_candidates(list(RECIPE_CLASSIFIERS), trials, 0), start=1
                )
            ]
            gap = prepared.horizon_bars + prepared.embargo_bars
            plain_seconds = _plain_script(prepared.dataset, candidates, folds, gap, jobs, 0)
        engine.dispose()
    fits = trials * folds
    search_seconds = dict(stages).get(f"searching {trials} candidates over {folds} purged folds")
    print(
        f"\nrecipe, {len(prepared.bars):,} hourly BTC/USDT bars, {folds} folds x {trials} trials "
        f"= {fits} fits, {jobs} process(es):"
    )
    for text, seconds in stages[1:]:
        print(f"  {seconds:7.1f} s  {text}")
    print(f"  recipe in all (run_recipe)             {recipe_seconds:7.1f} s  ({made.reference})")
    print(f"  plain scikit-learn script, same fits   {plain_seconds:7.1f} s")
    print(f"  ratio, whole recipe / plain fits       {recipe_seconds / plain_seconds:7.2f}x")
    if search_seconds:
        print(
            f"  ratio, recipe's search / plain fits    {search_seconds / plain_seconds:7.2f}x"
            "  (target <= 1.3x)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", choices=("features", "recipe"))
    parser.add_argument(
        "--plain-first", action="store_true", help="Time the plain script before the recipe."
    )
    arguments = parser.parse_args()
    if arguments.only in (None, "features"):
        bench_features(arguments.repeats)
    if arguments.only in (None, "recipe"):
        bench_recipe(arguments.trials, arguments.folds, arguments.jobs, arguments.plain_first)


if __name__ == "__main__":
    main()
