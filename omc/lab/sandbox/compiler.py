"""Compile untrusted code with RestrictedPython and omc's stricter policy on top.

Beyond RestrictedPython's own rules (no names or attributes starting with ``_``, no
``exec``/``eval``, no ``try/except*``, no ``async``, no ``nonlocal``), omc refuses class
definitions (metaclasses and custom methods have no place in feature code), imports of modules
that are not allow-listed, and the attribute names the run-time guard refuses, so most mistakes
are reported before anything runs, with their line.
"""

from __future__ import annotations

import ast
from types import CodeType

from RestrictedPython import compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer

from omc.lab.sandbox.errors import CodeRejected
from omc.lab.sandbox.guards import SANDBOX_FILENAME, Importer, refusal_reason

MAX_CODE_CHARACTERS = 1_000_000
MAX_REPORTED_ERRORS = 5


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, tightened for omc's sandbox."""

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.error(node, "class definitions are not allowed in the sandbox")

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        reason = refusal_reason(node.attr)
        if reason is not None and not node.attr.startswith("_"):
            self.error(node, f'attribute "{node.attr}" is not allowed: {reason}')
        return super().visit_Attribute(node)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        for alias in node.names:
            self._check_module(node, alias.name)
        return super().visit_Import(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.level:
            self.error(node, "relative imports are not allowed in the sandbox")
        elif node.module is not None:
            self._check_module(node, node.module)
        return super().visit_ImportFrom(node)

    def _check_module(self, node: ast.AST, name: str) -> None:
        try:
            Importer()._check(name)
        except ImportError as error:
            self.error(node, str(error))


def compile_code(code: str) -> CodeType:
    """Compile ``code`` under the sandbox policy, or raise :class:`CodeRejected` saying why."""
    if not isinstance(code, str):
        raise CodeRejected(f"code must be text, not {type(code).__name__}")
    if len(code) > MAX_CODE_CHARACTERS:
        raise CodeRejected(f"code is longer than {MAX_CODE_CHARACTERS:,} characters")
    if "\x00" in code:
        raise CodeRejected("code contains a NUL character")
    try:
        compiled = compile_restricted_exec(code, filename=SANDBOX_FILENAME, policy=SandboxPolicy)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as error:
        raise CodeRejected(f"code rejected: {type(error).__name__}: {error}") from None
    if compiled.errors or compiled.code is None:
        errors = list(dict.fromkeys(compiled.errors))
        shown = "; ".join(errors[:MAX_REPORTED_ERRORS])
        more = len(errors) - MAX_REPORTED_ERRORS
        suffix = f" (and {more} more)" if more > 0 else ""
        raise CodeRejected(f"code rejected: {shown}{suffix}")
    return compiled.code
