"""What `omc algo` and `omc lab recipe` call: one function per action, plain data out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from omc.db import session_scope
from omc.lab import algorithms
from omc.lab.artifacts import artifact_path, read_artifact
from omc.lab.models import Algorithm


def summary(algorithm: Algorithm) -> dict[str, Any]:
    """The row as a JSON-able summary (what `omc algo list` shows)."""
    evaluation = algorithm.evaluation or {}
    oos = evaluation.get("out_of_sample") or {}
    hold = evaluation.get("buy_and_hold") or {}
    deflated = (evaluation.get("deflated_sharpe") or {}).get("deflated_sharpe")
    pbo = (evaluation.get("pbo") or {}).get("probability")
    lookahead = evaluation.get("lookahead") or {}
    return {
        "algorithm": algorithms.reference_of(algorithm),
        "name": algorithm.name,
        "version": algorithm.version,
        "status": algorithm.status,
        "market": f"{algorithm.coins[0]}/{algorithm.quote}",
        "model_kind": algorithm.model_kind,
        "trials": algorithm.trials,
        "out_of_sample_return": oos.get("total_return"),
        "out_of_sample_sharpe": oos.get("sharpe"),
        "buy_and_hold_return": hold.get("total_return"),
        "deflated_sharpe": deflated,
        "pbo": pbo,
        "lookahead_passed": lookahead.get("passed"),
        "created_at": algorithm.created_at.isoformat(),
    }


def detail(algorithm: Algorithm, artifacts: list[Any], home: Path) -> dict[str, Any]:
    """Everything stored about one version (what `omc algo show` shows)."""
    return {
        **summary(algorithm),
        "description": algorithm.description,
        "label": algorithm.label,
        "model_params": algorithm.model_params,
        "decision": algorithm.decision,
        "feature_columns": list(algorithm.feature_columns),
        "feature_sha256": algorithm.feature_sha256,
        "bar_seconds": algorithm.bar_seconds,
        "data_since": algorithm.data_since.isoformat(),
        "data_until": algorithm.data_until.isoformat(),
        "as_of": algorithm.as_of.isoformat() if algorithm.as_of else None,
        "random_seed": algorithm.random_seed,
        "library_versions": algorithm.library_versions,
        "session_id": str(algorithm.session_id) if algorithm.session_id else None,
        "artifacts": [
            {
                "kind": artifact.kind,
                "path": str(artifact_path(home, artifact)),
                "sha256": artifact.sha256,
                "bytes": artifact.size_bytes,
            }
            for artifact in artifacts
        ],
        "evaluation": algorithm.evaluation,
    }


def list_algorithms(engine: Engine, include_retired: bool = False) -> list[dict[str, Any]]:
    with session_scope(engine) as session:
        return [summary(row) for row in algorithms.list_algorithms(session, include_retired)]


def show_algorithm(engine: Engine, home: Path, reference: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        algorithm = algorithms.find_algorithm(session, reference)
        return detail(algorithm, algorithms.artifacts_of(session, algorithm.id), home)


def algorithm_report(engine: Engine, home: Path, reference: str) -> tuple[str, Path, Path | None]:
    """The Markdown report (hash checked), its path and the PNG's path (hash checked)."""
    with session_scope(engine) as session:
        algorithm = algorithms.find_algorithm(session, reference)
        reports = algorithms.artifacts_of(session, algorithm.id, "report_markdown")
        plots = algorithms.artifacts_of(session, algorithm.id, "report_png")
        if not reports:
            from omc.lab.errors import AlgorithmError

            raise AlgorithmError(f"{algorithms.reference_of(algorithm)} has no report.")
        text = read_artifact(home, reports[-1]).decode()
        plot = None
        if plots:
            read_artifact(home, plots[-1])
            plot = artifact_path(home, plots[-1])
        return text, artifact_path(home, reports[-1]), plot


def retire(engine: Engine, reference: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        return summary(algorithms.retire_algorithm(session, reference))
