"""``omc collect``: run and inspect the collectors of the four ledgers."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omc.cli import collect_keys
from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, print_table, stdout
from omc.errors import EX_UNAVAILABLE

app = typer.Typer(
    help="Run and inspect the collectors of the four ledgers.",
    no_args_is_help=True,
    add_completion=False,
)

app.add_typer(collect_keys.app, name="keys")

STATUS_STYLE = {
    "ok": "green",
    "empty": "yellow",
    "failed": "red",
    "skipped": "dim",
    "cancelled": "dim",
}


def _styled_status(status: str | None) -> str:
    if status is None:
        return "-"
    style = STATUS_STYLE.get(status, "")
    return f"[{style}]{status}[/]" if style else status


def _results_table(results: list[dict[str, Any]]):
    from rich.table import Table

    table = Table(title="collection cycle")
    for name in ("source", "ledger", "status", "inserted", "updated", "note"):
        table.add_column(name, justify="right" if name in ("inserted", "updated") else "left")
    for row in results:
        table.add_row(
            row["source"],
            row["ledger"],
            _styled_status(row["status"]),
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
        print_table(_results_table(rows), wrap=("note",))
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

    from omc.ledgers.credentials.store import VaultSecrets
    from omc.ledgers.registry import all_sources
    from omc.ledgers.runner import source_overview
    from omc.ledgers.source import CollectContext

    rt = runtime(ctx)
    context = CollectContext(
        settings=rt.settings, vault_secrets=VaultSecrets(rt.engine(), rt.vault)
    )
    rows = source_overview(rt.engine(), context, all_sources())
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
    print_table(table, wrap=("configured",))


@app.command("start")
def start(ctx: typer.Context) -> None:
    """Start the collector daemon: through systemd if its unit is installed, else detached.

    Detached, it writes a pid file under OMC_HOME/run and logs under OMC_HOME/logs. A second
    collector against the same database is refused.

    Examples:

        omc collect start

        omc collect start && omc collect status
    """
    from omc.daemon.control import start as start_daemon

    stdout().print(start_daemon(runtime(ctx).settings), markup=False)


@app.command("stop")
def stop(ctx: typer.Context) -> None:
    """Stop the collector daemon (SIGTERM; it finishes or abandons running jobs within a bound).

    Examples:

        omc collect stop
    """
    from omc.daemon.control import stop as stop_daemon

    stdout().print(stop_daemon(runtime(ctx).settings), markup=False)


@app.command("restart")
def restart(ctx: typer.Context) -> None:
    """Stop the collector daemon if it runs, then start it.

    Examples:

        omc collect restart
    """
    from omc.daemon.control import restart as restart_daemon

    stdout().print(restart_daemon(runtime(ctx).settings), markup=False)


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


def _render_status(report: dict[str, Any]) -> None:
    from rich.table import Table

    from omc.cli.output import key_value_table

    daemon = report["daemon"]
    alive = "[green]alive[/]" if daemon["alive"] else f"[red]not running[/] ({daemon['state']})"
    rows = [
        ("collector", alive),
        ("heartbeat", f"{_age(daemon['heartbeat_age_seconds'])} ago"),
        ("pid / host", f"{daemon['pid'] or '-'} / {daemon['host'] or '-'}"),
        ("uptime", _age(daemon.get("uptime_seconds"))),
        ("version", daemon["version"] or "-"),
        ("summary", daemon.get("summary") or "-"),
    ]
    console = stdout()
    print_table(key_value_table(rows, title="collector"), console=console)
    table = Table(title="sources")
    for name in (
        "source",
        "enabled",
        "every",
        "last run",
        "status",
        "last ok",
        "rows 24h",
        "fresh",
        "last error",
    ):
        table.add_column(name, justify="right" if name == "rows 24h" else "left")
    for source in report["sources"]:
        fresh = source["freshness"]
        state = {"stale": "[bold red]STALE[/]", "fresh": "[green]fresh[/]"}.get(
            fresh["state"], "[dim]off[/]"
        )
        if fresh["age_seconds"] is not None:
            state += f" ({_age(fresh['age_seconds'])})"
        error = source["last_error"] or {}
        table.add_row(
            source["name"],
            "yes" if source["enabled"] else f"no: {source['reason']}",
            _age(source["interval_seconds"]),
            source["last_run"] or "never",
            _styled_status(source["last_status"]),
            source["last_success"] or "never",
            str(source["rows_24h"]),
            state,
            (error.get("message") or "")[:80],
        )
    print_table(table, wrap=("enabled", "last error"), console=console)


@app.command("status")
def status(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Show whether the collector is alive and how fresh each source is (stale ones marked).

    Exits 0 when the collector is alive, 69 when it is not.

    Examples:

        omc collect status

        omc collect status --json | jq '.sources[] | select(.freshness.state == "stale")'
    """
    from omc.daemon.health import collect_status

    rt = runtime(ctx)
    report = collect_status(rt.engine(), rt.settings)
    if json_output:
        print_json(report)
    else:
        _render_status(report)
    if not report["daemon"]["alive"]:
        raise typer.Exit(EX_UNAVAILABLE)
