"""``omc status``: what is configured and what answers."""

from __future__ import annotations

from typing import Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, key_value_table, print_json, print_table, stdout
from omc.errors import EX_UNAVAILABLE


def _yes_no(value: bool | None) -> str:
    return {True: "[green]yes[/]", False: "[red]no[/]", None: "-"}[value]


def render(report: dict[str, Any]) -> None:
    database = report["database"]
    redis = report["redis"]
    rows: list[tuple[str, Any]] = [
        ("version", report["version"]),
        ("home", report["home"]),
        ("user", report["user"]),
        ("database", database["url"]),
        ("  reachable", _yes_no(database["reachable"])),
        (
            "  schema",
            f"{database['current_revision'] or 'empty'} (head {database['head_revision'] or '?'})",
        ),
        ("  at head", _yes_no(database["at_head"])),
        ("redis", redis["url"] or "not configured (in-process cache)"),
    ]
    if redis["configured"]:
        rows.append(("  reachable", _yes_no(redis["reachable"])))
    for part in ("daemon", "ledgers", "lab", "floor"):
        rows.append((part, report[part]["state"]))
    console = stdout()
    print_table(key_value_table(rows, title="omc status"), console=console)
    for problem in (database["error"], redis["error"]):
        if problem:
            console.print(f"[yellow]! {problem}[/]")
    for warning in report.get("warnings", []):
        console.print(f"! {warning}", style="yellow", markup=False)


def status(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Show version, home, database and Redis health, and the state of each part of omc.

    Exits 0 when the database is reachable and at the schema head, 69 otherwise.

    Examples:

        omc status

        omc status --json | jq .database
    """
    from omc.status import gather_status

    report = gather_status(runtime(ctx))
    if json_output:
        print_json(report)
    else:
        render(report)
    if not report["healthy"]:
        raise typer.Exit(EX_UNAVAILABLE)
