"""``omc lab``: the research lab. Each part of the lab registers its commands from its own
module (``lab_sessions``: the agents' research sessions; ``lab_sandbox``: ``exec`` and
``doctor``; ``lab_recipe``: ``recipe``), so this group stays a list of them."""

from __future__ import annotations

import typer

from omc.cli import lab_recipe, lab_sandbox, lab_sessions

app = typer.Typer(
    help="Research algorithms: the agents on your own model (run), the LLM-free recipe, "
    "feature code in the sandbox and its layers.",
    no_args_is_help=True,
    add_completion=False,
)

lab_sessions.register(app)
app.command("recipe")(lab_recipe.recipe)
lab_sandbox.register(app)
