"""``omc collect``: run and inspect the collectors of the four ledgers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stdout
from omc.errors import EX_UNAVAILABLE

app = typer.Typer(
    help="Run and inspect the collectors of the four ledgers.",
    no_args_is_help=True,
    add_completion=False,
)

STATUS_STYLE = {"ok": "green", "empty": "yellow", "failed": "red", "skipped": "dim"}


def _results_table(results: list[dict[str, Any]]):
    from rich.table import Table

    table = Table(title="collection cycle")
    for name in ("source", "ledger", "status", "inserted", "updated", "note"):
        table.add_column(name, justify="right" if name in ("inserted", "updated") else "left")
    for row in results:
        style = STATUS_STYLE.get(row["status"], "")
        table.add_row(
            row["source"],
            row["ledger"],
            f"[{style}]{row['status']}[/]",
            str(row["rows_inserted"]),
            str(row["rows_updated"]),
            row["error"] or "",
        )
    return table


@app.command("run")
def run(
    ctx: typer.Context,
    source: Annotated[
        list[str] | None,
        typer.Option(
            "--source", "-s", help="Only this source (repeatable). Default: every source."
        ),
    ] = None,
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run one collection cycle in the foreground and show what each source stored.

    Exits 69 if any configured source failed; unconfigured sources are skipped.

    Examples:

        omc collect run

        omc collect run --source coinspot --json
    """
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from omc.ledgers.registry import get_sources
    from omc.ledgers.runner import run_cycle
    from omc.ledgers.service import collect_context

    rt = runtime(ctx)
    sources = get_sources(source)
    engine = rt.engine()
    context = collect_context(rt)
    if json_output:
        results = run_cycle(engine, context, sources)
    else:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=stdout(), transient=True
        ) as progress:
            task = progress.add_task("collecting", total=len(sources))
            results = run_cycle(
                engine,
                context,
                sources,
                on_start=lambda s: progress.update(task, description=f"collecting {s.name}"),
                on_done=lambda r: progress.advance(task),
            )
    rows = [result.as_dict() for result in results]
    if json_output:
        print_json(rows)
    else:
        stdout().print(_results_table(rows))
    if any(result.status == "failed" for result in results):
        raise typer.Exit(EX_UNAVAILABLE)


@app.command("sources")
def sources(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """List every source: ledger, interval, configured or not, last run and last success.

    Examples:

        omc collect sources

        omc collect sources --json | jq '.[] | select(.configured | not)'
    """
    from rich.table import Table

    from omc.ledgers.registry import all_sources
    from omc.ledgers.runner import source_overview
    from omc.ledgers.source import CollectContext

    rt = runtime(ctx)
    rows = source_overview(rt.engine(), CollectContext(settings=rt.settings), all_sources())
    if json_output:
        print_json(rows)
        return
    table = Table(title="sources")
    for name in ("source", "ledger", "every", "configured", "last run", "last status", "last ok"):
        table.add_column(name)
    for row in rows:
        configured = "yes" if row["configured"] else "no: " + ", ".join(row["missing_settings"])
        table.add_row(
            row["name"],
            row["ledger"],
            f"{row['interval_seconds']}s",
            configured,
            row["last_run"] or "never",
            row["last_status"] or "-",
            row["last_success"] or "never",
        )
    stdout().print(table)
