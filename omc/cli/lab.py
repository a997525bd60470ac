"""``omc lab``: the research lab. Each part of the lab registers its commands from its own
module (``lab_sandbox``: ``exec`` and ``doctor``; ``lab_recipe``: ``recipe``), so this group
stays a list of them."""

from __future__ import annotations

import typer

from omc.cli import lab_recipe, lab_sandbox

app = typer.Typer(
    help="Research algorithms: run feature code in the sandbox, check the sandbox's layers, "
    "build an algorithm without an LLM (recipe).",
    no_args_is_help=True,
    add_completion=False,
)

lab_sandbox.register(app)
app.command("recipe")(lab_recipe.recipe)
