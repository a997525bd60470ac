"""What can go wrong when the sandbox runs code, one class per failure the caller can act on.

Every message is safe to show to the person or the LLM that wrote the code: it names the rule,
the line in *their* code or the limit and its value, never a path, the environment or a line of
omc's own source.
"""

from __future__ import annotations

from omc.errors import EX_DATAERR, EX_SOFTWARE, EX_UNAVAILABLE, OmcError


class SandboxError(OmcError):
    """Base of every failure of code run by :func:`omc.lab.sandbox.run_code`."""

    exit_code = EX_DATAERR


class CodeRejected(SandboxError):
    """The code was refused before it ran: forbidden syntax, a name, an attribute or an import."""


class ForbiddenOperation(SandboxError):
    """The code tried, while running, to reach something the policy refuses (an attribute
    built at run time, a module, a write to a module or class)."""


class CodeFailed(SandboxError):
    """The code itself raised an exception (its type and message, with the line in its code)."""

    def __init__(self, message: str, *, error_type: str, line: int | None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.line = line


class LimitExceeded(SandboxError):
    """A resource limit stopped the code. ``limit`` names it, ``value`` is the limit's value."""

    limit = "limit"

    def __init__(self, message: str, *, value: float | int | None = None) -> None:
        super().__init__(message)
        self.value = value


class CpuLimitExceeded(LimitExceeded):
    limit = "cpu_seconds"


class MemoryLimitExceeded(LimitExceeded):
    limit = "memory"


class WallTimeExceeded(LimitExceeded):
    limit = "wall_seconds"


class OutputLimitExceeded(LimitExceeded):
    limit = "output"


class ForbiddenResult(SandboxError):
    """``result`` is of a type that may not cross the boundary (a function, a module, …), or the
    code did not set ``result`` at all."""


class InvalidInput(SandboxError):
    """The caller passed an input the sandbox cannot carry to the child (a programming error of
    the caller, not of the code)."""

    exit_code = EX_SOFTWARE


class SandboxUnavailable(SandboxError):
    """The sandbox itself could not run (its process could not start, or it crashed)."""

    exit_code = EX_UNAVAILABLE
