"""``omc config``: the effective settings and where they come from."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from omc.cli.output import JSON_HELP, print_json, print_table, stderr, stdout

app = typer.Typer(
    help="Show the effective settings and the config file locations.", no_args_is_help=True
)


@app.command("show")
def show(json_output: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Print every effective setting, secrets masked, with the source of its value.

    A secret found in a config file is warned about on standard error: move it to the vault.

    Examples:

        omc config show

        OMC_LOG_LEVEL=debug omc config show --json
    """
    from rich.table import Table

    from omc.settings import describe_settings, load_settings, secret_file_warnings

    loaded = load_settings()
    rows = describe_settings(loaded)
    for warning in secret_file_warnings(loaded):
        stderr().print(warning, markup=False, style="yellow")
    if json_output:
        print_json(rows)
        return
    table = Table(title="omc settings")
    table.add_column("Setting", style="bold")
    table.add_column("Value")
    table.add_column("Source", style="dim")
    for row in rows:
        table.add_row(row["name"], "" if row["value"] is None else str(row["value"]), row["source"])
    print_table(table)


@app.command("path")
def path(json_output: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Print where omc reads configuration from, lowest precedence first.

    Examples:

        omc config path

        $EDITOR "$(omc config path --json | jq -r .user_file)"
    """
    from omc.settings import ConfigFiles, xdg_data_home

    files = ConfigFiles.locate(os.environ)
    home = Path(os.environ.get("OMC_HOME") or xdg_data_home(os.environ) / "omc")
    data = {
        "system_file": str(files.system),
        "system_file_exists": files.system.is_file(),
        "user_file": str(files.user),
        "user_file_exists": files.user.is_file(),
        "home": str(home.expanduser()),
    }
    if json_output:
        print_json(data)
        return
    console = stdout()
    for label, key in (("system file", "system_file"), ("user file", "user_file")):
        state = "" if data[f"{key}_exists"] else "  (not present)"
        console.print(f"{label}: {data[key]}{state}")
    console.print(f"home: {data['home']}")
