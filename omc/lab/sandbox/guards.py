"""The language layer's run-time guards: attribute reads, imports and writes.

RestrictedPython rewrites ``a.b`` into ``_getattr_(a, "b")``, ``a.b = c`` and ``a[k] = c`` into
``_write_(a)...`` and ``import`` into a call of ``__import__``; these functions are what those
names are bound to. They refuse names starting with ``_``, the frame and code objects behind
generators, coroutines and tracebacks, every public reader and writer of files or URLs in numpy
and pandas, string evaluation, unsafe string formatting, and any module that is not allow-listed,
however it is reached (``getattr(x, name)`` with a name built at run time included).
"""

from __future__ import annotations

import importlib
import types
from typing import Any

from omc.lab.sandbox.modules import NAMESPACED, TOP_LEVEL, module_allowed, namespace_root

# Frames, code objects and tracebacks: the way out of every published generator/traceback escape.
INSPECTION = frozenset(
    {
        "gi_frame", "gi_code", "gi_yieldfrom", "gi_running", "gi_suspended",
        "cr_frame", "cr_code", "cr_await", "cr_origin",
        "ag_frame", "ag_code", "ag_await",
        "tb_frame", "tb_next", "tb_lasti",
        "f_back", "f_builtins", "f_code", "f_globals", "f_locals", "f_trace", "f_generator",
        "co_code", "func_globals", "func_code",
    }
)  # fmt: skip

# Files, URLs, pickles, the clipboard, databases, plotting and string evaluation.
FILES_AND_EVALUATION = frozenset(
    {
        "load", "loads", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt",
        "fromfile", "tofile", "fromregex", "memmap", "open_memmap", "DataSource", "dump", "dumps",
        "ExcelWriter", "ExcelFile", "HDFStore", "read", "open",
        "eval", "query", "exec", "compile",
        "style", "plot", "hist", "boxplot", "plotting",
        "show_versions", "show_config", "show_runtime", "get_include", "info", "source",
        "lookfor", "test", "set_eng_float_format",
        "format", "format_map", "Formatter", "vformat", "get_field", "get_value",
        "as_strided",
        "ctypes", "ctypeslib", "testing", "f2py", "distutils", "io", "util", "core",
        "compat", "os", "sys", "subprocess", "builtins", "importlib", "inspect",
        "mro",
    }
)  # fmt: skip

# `to_*` and `read_*` are writers and readers, except these, which only build objects.
SAFE_TO = frozenset(
    {
        "to_numpy", "to_dict", "to_list", "to_frame", "to_datetime", "to_numeric",
        "to_timedelta", "to_period", "to_timestamp", "to_records", "to_pydatetime",
        "to_flat_index", "to_series", "to_offset", "to_julian_date", "to_pytimedelta",
        "to_dense", "to_datetime64", "to_numpy_dtype", "to_tuples",
    }
)  # fmt: skip

WHY = {
    "inspection": "it exposes frames or code objects",
    "files": "it reads or writes files or URLs, or evaluates strings",
    "underscore": "names starting with _ are private",
}


# The `__name__` of sandboxed code, so its own functions are told from omc's.
SANDBOX_MODULE = "sandbox"
SANDBOX_FILENAME = "<sandbox>"

# Python functions reached through an attribute must come from the allowed libraries.
FUNCTION_MODULES = ("numpy", "pandas", "sklearn", "math", "statistics", "omc.strategies.indicators")


class Refused(AttributeError):
    """The policy refused an attribute, a module or a write. An ``AttributeError``, so
    ``getattr(x, name, default)`` and ``hasattr`` behave as for a missing attribute."""


def refusal_reason(name: str) -> str | None:
    """Why an attribute of this name is refused, or None when its name is acceptable."""
    if name.startswith("_"):
        return WHY["underscore"]
    if name in INSPECTION or name.endswith("__roles__"):
        return WHY["inspection"]
    if name in FILES_AND_EVALUATION:
        return WHY["files"]
    if name.startswith(("read_", "to_", "from_pickle", "save")) and name not in SAFE_TO:
        return WHY["files"]
    return None


def _check_value(value: Any, name: str) -> Any:
    """Refuse what an attribute read may not hand out, whatever its name."""
    if isinstance(value, types.ModuleType):
        if not module_allowed(value.__name__):
            raise Refused(f"module {value.__name__!r} is not allowed in the sandbox")
    elif isinstance(value, types.FrameType | types.CodeType | types.TracebackType):
        raise Refused(f"attribute {name!r} is not allowed in the sandbox: {WHY['inspection']}")
    elif isinstance(value, types.BuiltinFunctionType):
        owner = getattr(value, "__self__", None)
        if isinstance(owner, types.ModuleType) and not owner.__name__.startswith(FUNCTION_MODULES):
            raise Refused(f"{name!r} comes from module {owner.__name__!r}, which is not allowed")
    elif isinstance(value, types.FunctionType):
        module = getattr(value, "__module__", None) or ""
        if not (module == SANDBOX_MODULE or module.startswith(FUNCTION_MODULES)):
            raise Refused(f"{name!r} comes from module {module!r}, which is not allowed")
    return value


# pandas methods that call a method named by a string argument (`df.apply("sum")`,
# `df.agg({"close": ["mean", "std"]})`): pandas itself does the `getattr`, so the names are
# checked on the way in.
NAME_TAKING_METHODS = frozenset({"apply", "agg", "aggregate", "transform", "pipe", "map"})


def _check_names(value: Any, depth: int = 0) -> None:
    if isinstance(value, str):
        reason = refusal_reason(value)
        if reason is not None:
            raise Refused(f"method name {value!r} is not allowed in the sandbox: {reason}")
    elif depth < 8 and isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_names(item, depth + 1)
    elif depth < 8 and isinstance(value, dict):
        for item in value.values():
            _check_names(item, depth + 1)


def _checking_names(method: Any) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        for value in (*args, *kwargs.values()):
            _check_names(value)
        return method(*args, **kwargs)

    return call


def guarded_getattr(obj: Any, name: Any, *default: Any) -> Any:
    """``getattr`` for sandboxed code: ``a.b``, ``getattr(a, "b")`` and ``hasattr``."""
    if type(name) is not str:
        raise TypeError("attribute name must be a string")
    reason = refusal_reason(name)
    if reason is not None:
        raise Refused(f"attribute {name!r} is not allowed in the sandbox: {reason}")
    if isinstance(obj, types.ModuleType) and not module_allowed(obj.__name__):
        raise Refused(f"module {obj.__name__!r} is not allowed in the sandbox")
    value = _check_value(getattr(obj, name, *default), name)
    if (
        name in NAME_TAKING_METHODS
        and isinstance(value, types.MethodType)
        and type(obj).__module__.startswith("pandas")
    ):
        return _checking_names(value)
    return value


def guarded_hasattr(obj: Any, name: Any) -> bool:
    try:
        guarded_getattr(obj, name)
    except AttributeError:
        return False
    return True


class Namespace(types.SimpleNamespace):
    """What ``import sklearn.metrics`` binds to ``sklearn``: only the allowed submodules."""


class Importer:
    """``__import__`` for sandboxed code, one per run (it keeps that run's namespaces)."""

    def __init__(self) -> None:
        self.namespaces: dict[str, Namespace] = {}

    def __call__(
        self,
        name: Any,
        globals: Any = None,
        locals: Any = None,
        fromlist: Any = (),
        level: int = 0,
    ) -> Any:
        if level != 0 or type(name) is not str:
            raise ImportError("relative imports are not allowed in the sandbox")
        self._check(name)
        module = importlib.import_module(name)
        submodules = []
        for item in fromlist or ():
            if type(item) is not str or item == "*":
                raise ImportError("`from ... import *` is not allowed in the sandbox")
            value = getattr(module, item, None)
            if value is not None and not isinstance(value, types.ModuleType):
                guarded_getattr(module, item)  # a function or a class of an allowed module
                continue
            submodule = f"{name}.{item}"
            self._check(submodule)
            importlib.import_module(submodule)
            submodules.append(submodule)
        root = namespace_root(name)
        if fromlist:
            if root is None:
                return module
            return self._namespace(root, [name, *submodules], name)
        if root is None:
            return importlib.import_module(name.split(".", 1)[0])
        return self._namespace(root, [name], root)

    @staticmethod
    def _package_step(name: str) -> bool:
        """``sklearn`` or ``omc.strategies``: on the way to an allowed module."""
        root = namespace_root(name)
        return root is not None and any(
            allowed.startswith(name + ".") for allowed in NAMESPACED[root]
        )

    def _check(self, name: str) -> None:
        if module_allowed(name) or self._package_step(name):
            return
        allowed = ", ".join(TOP_LEVEL + tuple(n for v in NAMESPACED.values() for n in v))
        raise ImportError(f"import of {name!r} is not allowed in the sandbox (allowed: {allowed})")

    def _namespace(self, root: str, targets: list[str], returned: str) -> Any:
        """Bind each target (and, for a package step, its allowed modules) into the run's
        namespace of ``root``; return the node of ``returned``."""
        top = self.namespaces.setdefault(root, Namespace())
        for target in targets:
            if module_allowed(target):
                self._bind(top, target)
            else:
                for allowed in NAMESPACED[root]:
                    if allowed.startswith(target + "."):
                        self._bind(top, allowed)
        node: Any = top
        for part in returned.split(".")[1:]:
            node = getattr(node, part)
        return node

    @staticmethod
    def _bind(top: Namespace, dotted: str) -> None:
        parts = dotted.split(".")
        node: Any = top
        for part in parts[1:-1]:
            child = getattr(node, part, None)
            if child is None:
                child = Namespace()
                setattr(node, part, child)
            node = child
        setattr(node, parts[-1], importlib.import_module(dotted))


def _pandas_writable() -> tuple[type, ...]:
    import numpy as np
    import pandas as pd

    kinds: list[type] = [pd.DataFrame, pd.Series, pd.Index, np.ndarray]
    # df.loc / iloc / at / iat: every pandas indexer derives from NDFrameIndexerBase.
    kinds.append(type(pd.DataFrame().loc).__mro__[-2])
    return tuple(kinds)


class WriteGuard:
    """``_write_``: item and attribute writes only to containers and pandas/numpy data, never
    to a module, a class, a function or an import namespace."""

    def __init__(self) -> None:
        self.writable = (dict, list, set, bytearray, *_pandas_writable())

    def __call__(self, obj: Any) -> Any:
        if isinstance(obj, type | types.ModuleType | Namespace) or not isinstance(
            obj, self.writable
        ):
            raise Refused(f"writing to a {type(obj).__name__} is not allowed in the sandbox")
        return obj
