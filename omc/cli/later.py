"""Command groups whose work arrives in a later release say so, rather than pretending."""

from __future__ import annotations

import typer

from omc.errors import EX_UNAVAILABLE, OmcError


class NotAvailableYet(OmcError):
    exit_code = EX_UNAVAILABLE


def placeholder_group(name: str, summary: str, arrives_with: str) -> typer.Typer:
    """A group that shows ``summary`` in help and explains, when run, that it is not built yet."""
    help_text = f"{summary} (not available yet: arrives with {arrives_with})."
    group = typer.Typer(help=help_text, invoke_without_command=True, add_completion=False)

    @group.callback()
    def _not_yet(ctx: typer.Context) -> None:
        raise NotAvailableYet(
            f"`omc {name}` is not available yet in this version of omc; "
            f"it arrives with {arrives_with}"
        )

    return group
