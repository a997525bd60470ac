"""The sandbox: the one place where code omc did not write (an LLM's, a user's) runs.

``run_code(code, df, **inputs)`` runs ``code`` under RestrictedPython with a tight policy, in a
child of a pre-warmed fork server that drops privileges, sets rlimits, has no network and a
seccomp filter, and returns the value the code assigned to ``result``. Every failure is a
:class:`SandboxError` with a message the code's author can act on.

Layers, one module each: ``compiler`` + ``guards`` + ``scope`` + ``modules`` (language),
``process`` + ``limits`` (process), ``kernel`` (network namespace, seccomp), ``serialize``
(data across the boundary), ``server``/``child`` (fork server), ``client``/``runner`` (the
caller's side), ``doctor`` (self-test).
"""

from __future__ import annotations

from typing import Any

from omc.lab.sandbox.errors import (
    CodeFailed,
    CodeRejected,
    CpuLimitExceeded,
    ForbiddenOperation,
    ForbiddenResult,
    InvalidInput,
    LimitExceeded,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    SandboxError,
    SandboxUnavailable,
    WallTimeExceeded,
)
from omc.lab.sandbox.limits import SandboxLimits

__all__ = [
    "CodeFailed",
    "CodeRejected",
    "CpuLimitExceeded",
    "ForbiddenOperation",
    "ForbiddenResult",
    "InvalidInput",
    "LimitExceeded",
    "MemoryLimitExceeded",
    "OutputLimitExceeded",
    "Sandbox",
    "SandboxError",
    "SandboxLimits",
    "SandboxUnavailable",
    "WallTimeExceeded",
    "run_code",
]


def run_code(code: str, df: Any, **inputs: Any) -> object:
    """Run untrusted ``code`` on ``df`` (and named ``inputs``) in the sandbox; return ``result``.

    The code sees ``df`` and each input as a global and assigns its answer to ``result``: a
    DataFrame, Series, ndarray, number, string, bool, None, or lists/dicts of those. The
    caller's objects are never modified. Raises a :class:`SandboxError` subclass.
    """
    from omc.lab.sandbox.runner import default_sandbox

    return default_sandbox().run(code, df, inputs).result


def __getattr__(name: str) -> Any:
    if name == "Sandbox":
        from omc.lab.sandbox.runner import Sandbox

        return Sandbox
    raise AttributeError(name)
