"""`omc --help` stays fast: no heavy library is imported until a command body needs it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = [
    "pandas",
    "numpy",
    "sqlalchemy",
    "sqlmodel",
    "psycopg",
    "redis",
    "httpx",
    "langchain",
    "langchain_core",
    "langchain_google_genai",
    "langgraph",
    "sklearn",
    "apscheduler",
    "alembic",
    "pydantic_settings",
    "matplotlib",
    "RestrictedPython",
    "cryptography",
    "langchain_openai",
    "openai",
    "google",
]

PROBE = """
import json, sys
from typer.testing import CliRunner
from omc.cli.main import app
result = CliRunner().invoke(app, sys.argv[1:])
heavy = json.loads({heavy!r})
loaded = sorted(name for name in sys.modules if name.split(".")[0] in heavy)
print(json.dumps({{"exit": result.exit_code, "loaded": loaded}}))
"""


def _help_targets() -> list[list[str]]:
    from typer.main import get_command

    from omc.cli.main import app

    root = get_command(app)
    targets = [["--help"]]
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        targets.append([name, "--help"])
        for sub, sub_command in getattr(command, "commands", {}).items():
            targets.append([name, sub, "--help"])
            for leaf in getattr(sub_command, "commands", {}):
                targets.append([name, sub, leaf, "--help"])
    return targets


@pytest.mark.parametrize("args", _help_targets(), ids=lambda args: " ".join(args))
def test_help_imports_no_heavy_library(args):
    code = PROBE.format(heavy=json.dumps(HEAVY))
    completed = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    outcome = json.loads(completed.stdout.strip().splitlines()[-1])
    assert outcome["exit"] == 0
    assert outcome["loaded"] == []
