"""Which modules sandboxed code may import or reach, and which parts of them it may not.

``math``, ``statistics``, ``numpy``, ``pandas``, six read-only areas of scikit-learn and omc's own
indicators. Any module object the code reaches (by import or by attribute) must be on this list;
the denied parts (file formats, test helpers, C bindings, internals) are refused wherever they
are reached from.
"""

from __future__ import annotations

# Modules that `import X` binds as themselves.
TOP_LEVEL = ("math", "statistics", "numpy", "pandas")

# Packages whose top level is not itself allowed: importing below them binds a namespace that
# holds only the allowed submodules (`import sklearn.preprocessing` binds `sklearn` to that).
NAMESPACED = {
    "sklearn": (
        "sklearn.preprocessing",
        "sklearn.linear_model",
        "sklearn.ensemble",
        "sklearn.metrics",
        "sklearn.model_selection",
        "sklearn.decomposition",
    ),
    "omc": ("omc.strategies.indicators",),
}

ALLOWED_ROOTS = TOP_LEVEL + tuple(name for names in NAMESPACED.values() for name in names)

DENIED = (
    "numpy.testing",
    "numpy.ctypeslib",
    "numpy.f2py",
    "numpy.distutils",
    "numpy.lib.npyio",
    "numpy.lib.format",
    "numpy.compat",
    "numpy.core",
    "numpy._core",
    "pandas.io",
    "pandas.testing",
    "pandas.util",
    "pandas.plotting",
    "pandas.core",
    "pandas.compat",
    "pandas._config",
    "pandas._testing",
)

# What `omc lab doctor` lists.
ALLOW_LIST = TOP_LEVEL + ALLOWED_ROOTS[len(TOP_LEVEL) :]


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(package + ".")


def module_allowed(name: str) -> bool:
    """True when a module of this dotted name may be imported or reached by sandboxed code."""
    if not isinstance(name, str) or any(part.startswith("_") for part in name.split(".")):
        return False
    if any(_within(name, denied) for denied in DENIED):
        return False
    return any(_within(name, root) for root in ALLOWED_ROOTS)


def namespace_root(name: str) -> str | None:
    """``sklearn`` for ``sklearn.metrics``: the package whose import binds a namespace."""
    root = name.split(".", 1)[0]
    return root if root in NAMESPACED else None
