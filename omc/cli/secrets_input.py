"""Reading a secret without ever taking it as a command-line value (argv shows in ``ps``).

A secret comes from a hidden prompt, from standard input, or from a named environment variable.
"""

from __future__ import annotations

import os
import sys

import typer

from omc.errors import UsageProblem

STDIN_HELP = "Read the API key from standard input (e.g. from a password manager)."
ENV_HELP = "Read the API key from the environment variable VAR (give its name, not the key)."


def read_secret(
    label: str,
    *,
    from_stdin: bool,
    env_var: str | None,
    required: bool = True,
    options: tuple[str, str] = ("--api-key-stdin", "--api-key-env"),
) -> str | None:
    """The secret from exactly one source; prompts (hidden) when no source was named.

    ``options`` names the command's stdin and environment options for the error message.
    """
    if from_stdin and env_var:
        raise UsageProblem(f"give {options[0]} or {options[1]}, not both")
    if env_var:
        value = os.environ.get(env_var, "").strip()
        if not value and required:
            raise UsageProblem(f"environment variable {env_var} is not set or is empty")
        return value or None
    if from_stdin:
        value = sys.stdin.readline().strip()
        if not value and required:
            raise UsageProblem(f"no {label} on standard input")
        return value or None
    if not required:
        return None
    value = typer.prompt(label, hide_input=True, default="", show_default=False).strip()
    if not value:
        raise UsageProblem(f"no {label} given")
    return value
