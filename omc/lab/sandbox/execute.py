"""Run compiled code under the language layer and describe what happened as plain data.

This is what the child does between its setup and its reply; it is also usable on its own (the
tests run it in-process to show the language layer holding without the others).
"""

from __future__ import annotations

import re
import traceback
from typing import Any

from omc.lab.sandbox.compiler import compile_code
from omc.lab.sandbox.errors import CodeRejected
from omc.lab.sandbox.guards import SANDBOX_FILENAME, Refused
from omc.lab.sandbox.scope import PrintBuffer, build_globals

MAX_MESSAGE = 2000
# Absolute paths in a message (an error raised inside a library) say where omc is installed.
PATHS = re.compile(r"(?:/[\w.@+\-]+){2,}/?")


def clean_message(text: str) -> str:
    """An exception's message without host paths, cut to a readable length."""
    text = PATHS.sub("<path>", text)
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + "…"


def _line_in_code(error: BaseException) -> int | None:
    line = None
    for frame, lineno in traceback.walk_tb(error.__traceback__):
        if frame.f_code.co_filename == SANDBOX_FILENAME:
            line = lineno
    return line


def _message(error: BaseException) -> str:
    try:
        return clean_message(str(error))
    except Exception:
        return "(the error's message could not be shown)"


def describe_error(error: BaseException) -> dict[str, Any]:
    """An exception raised while the code ran, as the reply the parent turns into an error."""
    line = _line_in_code(error)
    where = f"line {line}: " if line is not None else ""
    name = type(error).__name__
    if isinstance(error, Refused):
        return {"status": "error", "kind": "refused", "message": f"{where}{_message(error)}",
                "line": line}  # fmt: skip
    if isinstance(error, MemoryError):
        return {"status": "error", "kind": "memory", "message": f"{where}MemoryError",
                "line": line}  # fmt: skip
    return {
        "status": "error",
        "kind": "code",
        "type": name,
        "line": line,
        "message": f"{where}{name}: {_message(error)}".rstrip(": "),
    }


def execute(code: str, inputs: dict[str, Any], print_bytes: int) -> dict[str, Any]:
    """Compile and run ``code`` with ``inputs`` bound as globals; the reply as a dict."""
    buffer = PrintBuffer(print_bytes)
    try:
        compiled = compile_code(code)
    except CodeRejected as error:
        return {"status": "error", "kind": "rejected", "message": error.message}
    namespace = build_globals(buffer)
    namespace.update(inputs)
    try:
        exec(compiled, namespace)  # noqa: S102 - the sandbox: restricted code, guarded globals
    except BaseException as error:
        reply = describe_error(error)
        reply["printed"] = buffer.text()
        return reply
    if "result" not in namespace:
        return {
            "status": "error",
            "kind": "result",
            "message": "the code did not assign its answer to a variable named result",
            "printed": buffer.text(),
        }
    return {"status": "ok", "result": namespace["result"], "printed": buffer.text()}
