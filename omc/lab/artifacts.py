"""Artifact files under ``OMC_HOME/artifacts/``: written once with their sha256 recorded in
``agent_artifacts``, and refused when read back if the file is gone or its hash differs."""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path, PurePosixPath

from sqlalchemy.orm import Session

from omc.lab.errors import ArtifactMismatchError
from omc.lab.models import AgentArtifact

ARTIFACTS_DIRECTORY = "artifacts"


def artifacts_root(home: Path) -> Path:
    return Path(home) / ARTIFACTS_DIRECTORY


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write_artifact(
    session: Session,
    home: Path,
    relative: str,
    data: bytes,
    *,
    kind: str,
    media_type: str,
    algorithm_id: uuid.UUID | None = None,
    session_id: uuid.UUID | None = None,
    user_id: uuid.UUID | None = None,
) -> AgentArtifact:
    """Write `data` to ``artifacts/<relative>`` (atomically, mode 0600) and record its hash."""
    relative_path = PurePosixPath(relative)
    if relative_path.is_absolute() or ".." in relative_path.parts:
        raise ValueError(f"artifact paths are relative to the artifacts directory: {relative!r}")
    path = artifacts_root(home) / relative_path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    artifact = AgentArtifact(
        kind=kind,
        path=str(relative_path),
        sha256=sha256_of(data),
        size_bytes=len(data),
        media_type=media_type,
        algorithm_id=algorithm_id,
        session_id=session_id,
        user_id=user_id,
    )
    session.add(artifact)
    session.flush()
    return artifact


def artifact_path(home: Path, artifact: AgentArtifact) -> Path:
    return artifacts_root(home) / PurePosixPath(artifact.path)


def read_artifact(home: Path, artifact: AgentArtifact) -> bytes:
    """The file's bytes, only if its sha256 is the one recorded."""
    path = artifact_path(home, artifact)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ArtifactMismatchError(
            f"The {artifact.kind} file {path} is missing; reproduce the algorithm to rebuild it."
        ) from None
    if sha256_of(data) != artifact.sha256:
        raise ArtifactMismatchError(
            f"The {artifact.kind} file {path} does not match its recorded sha256 "
            f"({artifact.sha256[:12]}…): refused."
        )
    return data
