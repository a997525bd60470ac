"""The algorithms table: versions, status, artifacts with their hashes, loading as a Strategy."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from omc.lab import algorithms
from omc.lab.artifacts import artifact_path
from omc.lab.errors import ArtifactMismatchError, UnknownAlgorithmError
from omc.lab.estimators import fit_estimator
from omc.lab.labels import LabelSpec
from omc.lab.strategy import AlgorithmSpec, AlgorithmStrategy

SOURCE = 'result = df[["close"]].pct_change()\n'
SINCE = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
UNTIL = dt.datetime(2024, 6, 1, tzinfo=dt.UTC)


def _spec(seed: int = 0) -> AlgorithmSpec:
    return AlgorithmSpec(
        feature_source=SOURCE,
        feature_columns=("close",),
        label=LabelSpec("sign", 24),
        model_kind="logistic_regression",
        model_params={"C": 1.0},
        decision={"rule": "threshold", "enter": 0.55, "exit": 0.45},
        seed=seed,
        warmup_bars=1,
    )


def _model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 1))
    return fit_estimator("logistic_regression", {"C": 1.0}, 0, x, (x[:, 0] > 0).astype(float))


def _save(session, home, name="btc-test", **extra):
    return algorithms.save_algorithm(
        session,
        home,
        name=name,
        spec=_spec(),
        model=_model(),
        coins=["btc"],
        quote="usdt",
        bar_seconds=3600.0,
        data_since=SINCE,
        data_until=UNTIL,
        trials=20,
        evaluation={"out_of_sample": {"sharpe": 0.5}},
        **extra,
    )


def test_saving_twice_makes_versions_and_the_latest_live_one_is_the_default(session, tmp_path):
    first = _save(session, tmp_path)
    second = _save(session, tmp_path)
    assert (first.version, second.version) == (1, 2)
    assert second.coins == ["BTC"]
    assert second.quote == "USDT"
    assert second.status == "draft"
    assert second.label == {
        "kind": "sign",
        "horizon_bars": 24,
        "horizon_seconds": 86400,
        "threshold": 0.0,
    }
    assert second.trials == 20
    assert "scikit-learn" in second.library_versions
    assert algorithms.get_algorithm(session, "btc-test").version == 2
    algorithms.retire_algorithm(session, "algo:btc-test@2")
    assert algorithms.get_algorithm(session, "btc-test").version == 1
    assert [row.version for row in algorithms.list_algorithms(session)] == [1]
    assert [row.version for row in algorithms.list_algorithms(session, True)] == [1, 2]
    assert algorithms.find_algorithm(session, "algo:btc-test@2").retired_at is not None


def test_unknown_names_and_versions_are_one_line_errors(session, tmp_path):
    _save(session, tmp_path)
    with pytest.raises(
        UnknownAlgorithmError, match="Unknown algorithm 'nope'; stored algorithms: btc-test"
    ):
        algorithms.find_algorithm(session, "algo:nope")
    with pytest.raises(UnknownAlgorithmError, match="has no version 7; its versions are: 1"):
        algorithms.find_algorithm(session, "btc-test@7")
    with pytest.raises(UnknownAlgorithmError, match="Invalid version 'x'"):
        algorithms.parse_reference("algo:btc-test@x")


def test_the_model_loads_back_only_while_its_file_matches_its_hash(session, tmp_path):
    algorithm = _save(session, tmp_path)
    [model_file] = algorithms.artifacts_of(session, algorithm.id, "model")
    path = artifact_path(tmp_path, model_file)
    assert path.parent == tmp_path / "artifacts" / "btc-test" / "v1"
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    loaded = algorithms.load_fitted_model(session, tmp_path, algorithm)
    x = np.linspace(-2, 2, 9).reshape(-1, 1)
    assert np.array_equal(loaded.predict_proba(x), _model().predict_proba(x))

    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(ArtifactMismatchError, match="does not match its recorded sha256"):
        algorithms.load_fitted_model(session, tmp_path, algorithm)
    path.unlink()
    with pytest.raises(ArtifactMismatchError, match="is missing"):
        algorithms.load_fitted_model(session, tmp_path, algorithm)


def test_an_edited_feature_source_is_refused(session, tmp_path):
    algorithm = _save(session, tmp_path)
    algorithm.feature_source = SOURCE + "# edited\n"
    with pytest.raises(Exception, match="does not match its recorded sha256"):
        algorithms.load_fitted_model(session, tmp_path, algorithm)


def test_a_stored_algorithm_loads_as_a_strategy_by_reference(engine, tmp_path):
    from omc.db import session_scope

    with session_scope(engine) as session:
        _save(session, tmp_path, name="loadme")
        _save(session, tmp_path, name="loadme")
    strategy = algorithms.load_strategy(engine, tmp_path, "algo:loadme@1")
    assert isinstance(strategy, AlgorithmStrategy)
    assert strategy.name == "algo:loadme@1"
    assert strategy.warmup_bars({}) == 1
    assert strategy.spec.decision == {"rule": "threshold", "enter": 0.55, "exit": 0.45}
    assert algorithms.load_strategy(engine, tmp_path, "algo:loadme").name == "algo:loadme@2"
    assert strategy.version == 1


def test_a_runtime_with_a_database_resolves_algo_names_through_get_strategy(engine, tmp_path):
    from omc.db import session_scope
    from omc.lab.resolver import install_algorithm_resolver
    from omc.strategies import get_strategy, unregister_resolver

    with session_scope(engine) as session:
        _save(session, tmp_path, name="byname")
    install_algorithm_resolver(engine, tmp_path)
    try:
        strategy = get_strategy("algo:byname@1")
        assert isinstance(strategy, AlgorithmStrategy)
        assert (strategy.name, strategy.version) == ("algo:byname@1", 1)
        with pytest.raises(UnknownAlgorithmError, match="has no version 3"):
            get_strategy("algo:byname@3")
    finally:
        unregister_resolver("algo")


def test_the_strategy_registry_resolves_algo_names_through_a_registered_resolver():
    from omc.backtest.errors import UnknownStrategyError
    from omc.strategies import get_strategy, register_resolver, unregister_resolver

    with pytest.raises(UnknownStrategyError, match="loads from the database"):
        get_strategy("algo:anything")
    seen = []
    register_resolver("algo", lambda name: seen.append(name) or get_strategy("buy_and_hold"))
    try:
        assert get_strategy("algo:x@1").name == "buy_and_hold"
        assert seen == ["algo:x@1"]
    finally:
        unregister_resolver("algo")
