""":class:`Sandbox`: one fork server and the limits its runs get; turns replies into values or
:class:`SandboxError` subclasses."""

from __future__ import annotations

import os
import signal
import threading
from dataclasses import dataclass, field
from typing import Any

from omc.lab.sandbox.client import Exchange, ForkServer, exchange
from omc.lab.sandbox.errors import (
    CodeFailed,
    CodeRejected,
    CpuLimitExceeded,
    ForbiddenOperation,
    ForbiddenResult,
    InvalidInput,
    MemoryLimitExceeded,
    OutputLimitExceeded,
    SandboxError,
    SandboxUnavailable,
    WallTimeExceeded,
)
from omc.lab.sandbox.limits import SandboxLimits, describe_bytes


@dataclass
class Outcome:
    """A successful run: the value of ``result``, what the code printed, how long it took."""

    result: Any
    printed: str = ""
    seconds: float = 0.0
    applied: dict[str, Any] = field(default_factory=dict)


def _input_names(inputs: dict[str, Any]) -> None:
    for name in inputs:
        if not name.isidentifier() or name.startswith("_"):
            raise InvalidInput(f"input name {name!r} must be an identifier not starting with _")


class Sandbox:
    """Runs untrusted code in children of one fork server, under ``limits``."""

    def __init__(self, limits: SandboxLimits | None = None) -> None:
        self.limits = limits or SandboxLimits()
        self.server = ForkServer()

    def layers(self) -> dict[str, Any]:
        """Which layers this host gives (starts the fork server if it is not running)."""
        return dict(self.server.ensure_started())

    def run(
        self, code: str, df: Any = None, inputs: dict[str, Any] | None = None,
        limits: SandboxLimits | None = None,
    ) -> Outcome:  # fmt: skip
        """Run ``code`` with ``df`` and ``inputs``; the value it assigned to ``result``."""
        from omc.lab.sandbox.serialize import Unsupported, decode, encode

        limits = limits or self.limits
        if not isinstance(code, str):
            raise CodeRejected(f"code must be text, not {type(code).__name__}")
        inputs = dict(inputs or {})
        _input_names(inputs)
        try:
            message = encode({"code": code, "inputs": {"df": df, **inputs}}, where="the inputs")
        except Unsupported as error:
            raise InvalidInput(f"cannot pass to the sandbox: {error}") from None
        child = self.server.spawn(limits.to_dict(), message)
        try:
            done = exchange(child, limits.wall_seconds, limits.output_bytes)
        finally:
            child.close()
        reply = None
        if not (done.timed_out or done.output_exceeded) and done.output:
            try:
                reply = decode(done.output)
            except (ValueError, KeyError, TypeError, IndexError):
                reply = None
        return self._interpret(reply, done, limits)

    def _interpret(self, reply: Any, done: Exchange, limits: SandboxLimits) -> Outcome:
        if done.timed_out:
            raise WallTimeExceeded(
                f"wall-clock limit of {limits.wall_seconds:g} s reached; the code was stopped",
                value=limits.wall_seconds,
            )
        if done.output_exceeded:
            raise _output_error(limits)
        signal_number = None
        if done.status is not None and os.WIFSIGNALED(done.status):
            signal_number = os.WTERMSIG(done.status)
        if signal_number == signal.SIGXCPU or (
            signal_number == signal.SIGKILL and reply is None and done.seconds >= limits.cpu_seconds
        ):
            raise CpuLimitExceeded(
                f"CPU limit of {limits.cpu_seconds} s reached; the code was stopped",
                value=limits.cpu_seconds,
            )
        if not isinstance(reply, dict):
            if signal_number is not None:
                name = signal.Signals(signal_number).name
                if signal_number == signal.SIGKILL:
                    raise MemoryLimitExceeded(
                        "the sandboxed process was killed (SIGKILL), most likely for memory; "
                        f"the memory limit is {describe_bytes(limits.memory_bytes)}",
                        value=limits.memory_bytes,
                    )
                raise CodeFailed(
                    f"the code crashed the sandboxed interpreter ({name})",
                    error_type=name,
                    line=None,
                )
            raise SandboxUnavailable("the sandbox ended without a reply")
        return self._reply(reply, done, limits)

    def _reply(self, reply: dict[str, Any], done: Exchange, limits: SandboxLimits) -> Outcome:
        status = reply.get("status")
        if status == "ok":
            return Outcome(
                reply.get("result"),
                reply.get("printed", ""),
                done.seconds,
                reply.get("applied", {}),
            )
        kind = reply.get("kind")
        message = str(reply.get("message", ""))
        if kind == "rejected":
            raise CodeRejected(message)
        if kind == "refused":
            raise ForbiddenOperation(f"refused: {message}")
        if kind == "code":
            raise CodeFailed(
                message, error_type=str(reply.get("type", "Exception")), line=reply.get("line")
            )
        if kind == "memory":
            where = message.removesuffix("MemoryError")
            raise MemoryLimitExceeded(
                f"{where}memory limit of {describe_bytes(limits.memory_bytes)} reached",
                value=limits.memory_bytes,
            )
        if kind == "output":
            raise _output_error(limits)
        if kind == "result":
            raise ForbiddenResult(message)
        if kind == "internal":
            raise SandboxUnavailable(message or "the sandbox failed")
        raise SandboxError("the sandbox gave a reply it does not understand")

    def probe(self) -> dict[str, Any]:
        """Start a child with every layer in place that, instead of code, runs the fixed
        self-test of :mod:`omc.lab.sandbox.probe`; its report."""
        from omc.lab.sandbox.serialize import decode, encode

        message = encode({"code": "", "inputs": {}})
        child = self.server.spawn(self.limits.to_dict(), message, probe=True)
        try:
            done = exchange(child, self.limits.wall_seconds, self.limits.output_bytes)
        finally:
            child.close()
        try:
            reply = decode(done.output)
        except (ValueError, KeyError, TypeError, IndexError):
            reply = None
        if not isinstance(reply, dict) or reply.get("status") != "ok":
            return {"failed": True, "exit_status": done.status}
        return {"failed": False, **reply["result"]}

    def close(self) -> None:
        self.server.close()


def _output_error(limits: SandboxLimits) -> OutputLimitExceeded:
    return OutputLimitExceeded(
        f"the result is larger than the output limit of {describe_bytes(limits.output_bytes)}",
        value=limits.output_bytes,
    )


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process's sandbox, with the ``[lab]`` limits of the settings, made on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox(configured_limits())
        return _default


def configured_limits() -> SandboxLimits:
    from omc.settings import load_settings

    return SandboxLimits.from_settings(load_settings().settings.lab)
