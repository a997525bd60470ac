"""The `algorithms` table as an API: save a new version, find, list, change status, and load
one as a `Strategy` (``algo:NAME[@VERSION]``) for backtests and the trading floor.

A version's model file and reports are `agent_artifacts` rows; loading refuses a file whose
sha256 does not match. Without a version, the highest version that is not retired is meant.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from omc.db import utcnow
from omc.lab.artifacts import read_artifact, write_artifact
from omc.lab.errors import AlgorithmError, UnknownAlgorithmError
from omc.lab.estimators import dump_model, library_versions, load_model
from omc.lab.features import feature_sha256
from omc.lab.labels import LabelSpec
from omc.lab.models import ALGORITHM_STATUSES, AgentArtifact, Algorithm
from omc.lab.strategy import AlgorithmSpec, AlgorithmStrategy

ALGO_PREFIX = "algo:"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
MODEL_ARTIFACT = "model"
MODEL_SUFFIX = {
    "application/octet-stream": "skops",
    "text/plain": "txt",
    "application/json": "json",
}


@dataclass(frozen=True)
class AlgorithmReference:
    """``NAME`` or ``NAME@VERSION`` (optionally prefixed ``algo:``)."""

    name: str
    version: int | None = None

    def __str__(self) -> str:
        return self.name if self.version is None else f"{self.name}@{self.version}"


def is_algorithm_reference(text: str) -> bool:
    return text.strip().lower().startswith(ALGO_PREFIX)


def parse_reference(text: str) -> AlgorithmReference:
    """``algo:btc-recipe@2`` → (btc-recipe, 2); a bad version is a one-line error."""
    body = text.strip()
    if body.lower().startswith(ALGO_PREFIX):
        body = body[len(ALGO_PREFIX) :]
    name, separator, version = body.partition("@")
    name = name.strip().lower()
    if not NAME_PATTERN.match(name):
        raise UnknownAlgorithmError(
            f"Invalid algorithm name {name!r}: use lower-case letters, digits, '-', '_' or '.'."
        )
    if not separator:
        return AlgorithmReference(name)
    if not version.strip().isdigit() or int(version) < 1:
        raise UnknownAlgorithmError(
            f"Invalid version {version!r} in {text!r}: use NAME@N with N a whole number from 1."
        )
    return AlgorithmReference(name, int(version))


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities as None: JSON columns (PostgreSQL above all) refuse them."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(item) for item in value]
    return value


def check_name(name: str) -> str:
    name = name.strip().lower()
    if not NAME_PATTERN.match(name):
        raise AlgorithmError(
            f"Invalid algorithm name {name!r}: use lower-case letters, digits, '-', '_' or '.' "
            "(at most 100 characters)."
        )
    return name


def next_version(session: Session, name: str) -> int:
    table = Algorithm.__table__
    latest = session.execute(
        sa.select(sa.func.max(table.c.version)).where(table.c.name == name)
    ).scalar()
    return int(latest or 0) + 1


def save_algorithm(
    session: Session,
    home: Path,
    *,
    name: str,
    spec: AlgorithmSpec,
    model: Any,
    coins: list[str],
    quote: str,
    bar_seconds: float,
    data_since: dt.datetime,
    data_until: dt.datetime,
    as_of: dt.datetime | None = None,
    trials: int = 1,
    evaluation: Mapping[str, Any] | None = None,
    description: str | None = None,
    user_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    status: str = "draft",
) -> Algorithm:
    """Store `spec` and its fitted `model` as the next version of `name` (a `draft`)."""
    name = check_name(name)
    if status not in ALGORITHM_STATUSES:
        raise AlgorithmError(f"Unknown status {status!r}; one of: {', '.join(ALGORITHM_STATUSES)}.")
    algorithm = Algorithm(
        name=name,
        version=next_version(session, name),
        status=status,
        description=description,
        feature_source=spec.feature_source,
        feature_sha256=feature_sha256(spec.feature_source),
        feature_columns=list(spec.feature_columns),
        label=spec.label.to_dict(bar_seconds),
        model_kind=spec.model_kind,
        model_params=json_safe(dict(spec.model_params)),
        decision={**dict(spec.decision), "warmup_bars": spec.warmup_bars},
        coins=[coin.upper() for coin in coins],
        quote=quote.upper(),
        bar_seconds=round(bar_seconds),
        data_since=data_since,
        data_until=data_until,
        as_of=as_of,
        random_seed=spec.seed,
        library_versions=library_versions(),
        trials=trials,
        evaluation=json_safe(dict(evaluation)) if evaluation is not None else None,
        user_id=user_id,
        session_id=session_id,
    )
    session.add(algorithm)
    session.flush()
    data, media_type = dump_model(spec.model_kind, model)
    write_artifact(
        session,
        home,
        f"{name}/v{algorithm.version}/model.{MODEL_SUFFIX[media_type]}",
        data,
        kind=MODEL_ARTIFACT,
        media_type=media_type,
        algorithm_id=algorithm.id,
        session_id=session_id,
        user_id=user_id,
    )
    return algorithm


def attach_file(
    session: Session,
    home: Path,
    algorithm: Algorithm,
    kind: str,
    filename: str,
    data: bytes,
    media_type: str,
) -> AgentArtifact:
    """Add a report or plot to an algorithm's version, replacing one of the same kind."""
    for old in artifacts_of(session, algorithm.id, kind):
        session.delete(old)
    return write_artifact(
        session,
        home,
        f"{algorithm.name}/v{algorithm.version}/{filename}",
        data,
        kind=kind,
        media_type=media_type,
        algorithm_id=algorithm.id,
        session_id=algorithm.session_id,
        user_id=algorithm.user_id,
    )


def get_algorithm(session: Session, name: str, version: int | None = None) -> Algorithm:
    """The stored version (the highest not retired when `version` is None)."""
    name = name.strip().lower()
    table = Algorithm.__table__
    versions = list(
        session.scalars(
            sa.select(Algorithm).where(table.c.name == name).order_by(table.c.version.desc())
        )
    )
    if not versions:
        known = ", ".join(sorted({row.name for row in list_algorithms(session, True)})) or "none"
        raise UnknownAlgorithmError(
            f"Unknown algorithm '{name}'; stored algorithms: {known} (omc algo list)."
        )
    if version is None:
        live = [row for row in versions if row.status != "retired"]
        return (live or versions)[0]
    for row in versions:
        if row.version == version:
            return row
    numbers = ", ".join(str(row.version) for row in reversed(versions))
    raise UnknownAlgorithmError(
        f"Algorithm '{name}' has no version {version}; its versions are: {numbers}."
    )


def find_algorithm(session: Session, reference: str | AlgorithmReference) -> Algorithm:
    if isinstance(reference, str):
        reference = parse_reference(reference)
    return get_algorithm(session, reference.name, reference.version)


def list_algorithms(session: Session, include_retired: bool = False) -> list[Algorithm]:
    """Every stored version, by name then version."""
    table = Algorithm.__table__
    query = sa.select(Algorithm).order_by(table.c.name, table.c.version)
    if not include_retired:
        query = query.where(table.c.status != "retired")
    return list(session.scalars(query))


def artifacts_of(
    session: Session, algorithm_id: uuid.UUID, kind: str | None = None
) -> list[AgentArtifact]:
    table = AgentArtifact.__table__
    query = sa.select(AgentArtifact).where(table.c.algorithm_id == algorithm_id)
    if kind is not None:
        query = query.where(table.c.kind == kind)
    return list(session.scalars(query.order_by(table.c.created_at)))


def set_status(session: Session, algorithm: Algorithm, status: str) -> Algorithm:
    """Move a version to `status` (draft, validated, promoted, retired)."""
    if status not in ALGORITHM_STATUSES:
        raise AlgorithmError(f"Unknown status {status!r}; one of: {', '.join(ALGORITHM_STATUSES)}.")
    algorithm.status = status
    algorithm.updated_at = utcnow()
    algorithm.retired_at = utcnow() if status == "retired" else None
    session.add(algorithm)
    session.flush()
    return algorithm


def retire_algorithm(session: Session, reference: str | AlgorithmReference) -> Algorithm:
    return set_status(session, find_algorithm(session, reference), "retired")


def spec_of(algorithm: Algorithm) -> AlgorithmSpec:
    """The stored row as the spec that predicts."""
    decision = dict(algorithm.decision)
    warmup = int(decision.pop("warmup_bars", 0))
    return AlgorithmSpec(
        feature_source=algorithm.feature_source,
        feature_columns=tuple(algorithm.feature_columns),
        label=LabelSpec.from_dict(algorithm.label),
        model_kind=algorithm.model_kind,
        model_params=dict(algorithm.model_params),
        decision=decision,
        seed=algorithm.random_seed,
        warmup_bars=warmup,
    )


def load_fitted_model(session: Session, home: Path, algorithm: Algorithm) -> Any:
    """The version's model, read from its artifact after checking the file's sha256."""
    if feature_sha256(algorithm.feature_source) != algorithm.feature_sha256:
        raise AlgorithmError(
            f"The feature source of {algorithm.name}@{algorithm.version} does not match its "
            "recorded sha256: refused."
        )
    files = artifacts_of(session, algorithm.id, MODEL_ARTIFACT)
    if not files:
        raise AlgorithmError(f"{algorithm.name}@{algorithm.version} has no model file.")
    return load_model(algorithm.model_kind, read_artifact(home, files[-1]))


def reference_of(algorithm: Algorithm) -> str:
    return f"{ALGO_PREFIX}{algorithm.name}@{algorithm.version}"


def strategy_of(
    session: Session, home: Path, algorithm: Algorithm, engine: Any | None = None
) -> AlgorithmStrategy:
    """A stored version as a `Strategy`; with `engine`, its ledger inputs are read as of each
    bar (only when its feature code uses them)."""
    loader = None
    if engine is not None:
        coin = algorithm.coins[0]

        def loader(index):  # type: ignore[no-untyped-def]
            from omc.lab.ledger_inputs import load_ledger_inputs

            with engine.connect() as connection:
                return load_ledger_inputs(connection, coin, index)

    return AlgorithmStrategy(
        reference_of(algorithm),
        spec_of(algorithm),
        load_fitted_model(session, home, algorithm),
        ledger_loader=loader,
        description=algorithm.description,
        version=algorithm.version,
    )


def load_strategy(engine: Any, home: Path, reference: str) -> AlgorithmStrategy:
    """``algo:NAME[@VERSION]`` as a ready `Strategy`: what backtests and the floor call."""
    from omc.db import session_scope

    with session_scope(engine) as session:
        algorithm = find_algorithm(session, reference)
        return strategy_of(session, home, algorithm, engine)
