"""Getting the process's :class:`~omc.runtime.Runtime` from a Typer context."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from omc.runtime import Runtime


def runtime(ctx: typer.Context) -> Runtime:
    """The runtime for this invocation, built on first use (so ``--help`` never loads settings)."""
    root = ctx.find_root()
    state = root.ensure_object(dict)
    if "runtime" not in state:
        from omc.runtime import open_runtime

        state["runtime"] = open_runtime()
        root.call_on_close(state["runtime"].close)
    return state["runtime"]


def runtime_settings():  # type: ignore[no-untyped-def]
    """Settings and config file locations, without opening the database."""
    from omc.settings import load_settings

    loaded = load_settings()
    return loaded.settings, loaded.files
