"""The globals sandboxed code runs with: a small set of builtins, the guards, captured print.

There is no ``open``, ``eval``, ``exec``, ``compile``, ``type``, ``object``, ``vars``, ``dir``,
``globals``, ``locals``, ``super``, ``setattr`` or ``delattr``; ``getattr`` and ``hasattr`` go
through the attribute guard, ``import`` through the module allow-list.
"""

from __future__ import annotations

import builtins
import operator
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

from omc.lab.sandbox.guards import (
    SANDBOX_MODULE,
    Importer,
    WriteGuard,
    guarded_getattr,
    guarded_hasattr,
)

SAFE_BUILTINS = (
    "None", "False", "True", "Ellipsis", "NotImplemented",
    "abs", "all", "any", "ascii", "bin", "bool", "bytes", "callable", "chr", "complex",
    "dict", "divmod", "enumerate", "filter", "float", "frozenset", "hash", "hex", "id", "int",
    "isinstance", "issubclass", "iter", "len", "list", "map", "max", "min", "next", "oct",
    "ord", "pow", "range", "repr", "reversed", "round", "set", "slice", "sorted", "str", "sum",
    "tuple", "zip",
)  # fmt: skip

SAFE_EXCEPTIONS = (
    "ArithmeticError", "AssertionError", "AttributeError", "BaseException", "EOFError",
    "Exception", "FloatingPointError", "ImportError", "IndexError", "KeyError", "LookupError",
    "MemoryError", "NameError", "NotImplementedError", "OverflowError", "RecursionError",
    "RuntimeError", "RuntimeWarning", "StopIteration", "TypeError", "UnboundLocalError",
    "UnicodeError", "UserWarning", "ValueError", "Warning", "ZeroDivisionError",
    "DeprecationWarning", "FutureWarning",
)  # fmt: skip

INPLACE = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "&=": operator.iand,
    "^=": operator.ixor,
    "|=": operator.ior,
    "@=": operator.imatmul,
}

TRUNCATED = "\n[print output truncated]\n"


class PrintBuffer:
    """Everything the code prints, up to a cap; the rest is dropped (and said so)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.parts: list[str] = []
        self.size = 0
        self.truncated = False

    def write(self, text: str) -> None:
        if self.truncated:
            return
        room = self.cap - self.size
        if len(text) > room:
            text = text[: max(room, 0)]
            self.truncated = True
        self.parts.append(text)
        self.size += len(text)

    def text(self) -> str:
        return "".join(self.parts) + (TRUNCATED if self.truncated else "")


class _Printer:
    """What RestrictedPython's ``_print_`` must return: ``print(...)`` calls ``_call_print``."""

    def __init__(self, buffer: PrintBuffer) -> None:
        self.buffer = buffer

    def _call_print(self, *objects: Any, sep: Any = " ", end: Any = "\n", **options: Any) -> None:
        if options.get("file") is not None:
            raise TypeError("print(file=...) is not allowed in the sandbox")
        sep = " " if sep is None else str(sep)
        end = "\n" if end is None else str(end)
        self.buffer.write(sep.join(str(item) for item in objects) + end)

    def __call__(self) -> str:  # `printed`
        return self.buffer.text()


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        function = INPLACE[op]
    except KeyError:
        raise TypeError(f"augmented assignment {op!r} is not allowed") from None
    return function(target, value)


def _apply(function: Any, *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def build_globals(print_buffer: PrintBuffer) -> dict[str, Any]:
    """A fresh globals dictionary for one run."""
    safe = {name: getattr(builtins, name) for name in SAFE_BUILTINS + SAFE_EXCEPTIONS}
    safe["getattr"] = guarded_getattr
    safe["hasattr"] = guarded_hasattr
    safe["__import__"] = Importer()
    return {
        "__builtins__": safe,
        "__name__": SANDBOX_MODULE,
        "_getattr_": guarded_getattr,
        "_getitem_": operator.getitem,
        "_getiter_": iter,
        "_write_": WriteGuard(),
        "_print_": lambda _getattr=None: _Printer(print_buffer),
        "_inplacevar_": _inplacevar,
        "_apply_": _apply,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
    }
