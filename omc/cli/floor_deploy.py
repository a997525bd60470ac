"""``omc floor promote|status|pause|resume|stop|kill|decisions``: deployments and the kill
switch. A thin shell over :mod:`omc.floor.trading.service`."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stdout
from omc.errors import UsageProblem

DEPLOYMENT_HELP = "A deployment's name (or a unique start of its id)."


def _param_pairs(items: list[str] | None) -> dict[str, str]:
    from omc.cli.backtest import parse_assignments

    return parse_assignments(items, "--param")


def promote(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A strategy (sma_crossover) or algo:NAME[@VERSION]."),
    coin: str = typer.Option(..., "--coin", help="The coin to trade, like BTC."),
    quote: str = typer.Option("AUD", "--quote", help="The quote currency."),
    live: bool = typer.Option(False, "--live/--paper", help="Live (gated) or paper (default)."),
    capital: str = typer.Option("500", "--capital", help="Capital allocated, in the quote."),
    account: str = typer.Option("default", "--account", help="The broker account's name."),
    interval: str = typer.Option("1h", "--interval", help="Bar size: 5m, 1h, 1d …"),
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A strategy parameter NAME=VALUE.")
    ] = None,
    limit: Annotated[
        list[str] | None,
        typer.Option("--limit", help="Override a [floor] risk limit, NAME=VALUE."),
    ] = None,
    name: str | None = typer.Option(None, "--name", help="Name the deployment."),
    yes: bool = typer.Option(False, "--yes", help="Live: skip the typed confirmation."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Promote a strategy or algorithm to paper (default) or live trading.

    Writes a deployment that the trading daemon (`omc daemon run --role floor`) picks up.
    Live passes a gate first; every check is shown with its number and threshold.

    Examples:

        omc floor promote sma_crossover --coin BTC --param fast=20 --param slow=100

        omc floor promote algo:btc-recipe@2 --coin BTC --capital 1000 --paper

        omc floor promote sma_crossover --coin BTC --live --capital 200
    """
    from omc.floor.trading.deployments import PromoteRequest
    from omc.floor.trading.service import promote as promote_deployment
    from omc.floor.trading.targets import parse_interval

    request = PromoteRequest(
        target=target,
        coin=coin,
        quote=quote,
        mode="live" if live else "paper",
        capital=capital,
        account=account,
        bar_seconds=parse_interval(interval),
        params=_param_pairs(param),
        limits=list(limit or []),
        name=name,
    )

    def confirm(phrase: str) -> bool:
        typed = typer.prompt(f"Type {phrase!r} to trade real money")
        return typed.strip() == phrase

    rt = runtime(ctx)
    view = promote_deployment(rt, request, confirm=confirm, yes=yes)
    if json_output:
        print_json(view)
        return
    _print_gate(view.get("gate"))
    stdout().print(
        f"promoted: {view['name']} ({view['target']} on {view['market']}, {view['mode']}, "
        f"capital {view['capital']}, every {view['interval']}); the floor daemon picks it up"
    )


def _print_gate(gate: dict[str, Any] | None) -> None:
    if not gate:
        return
    from omc.floor.trading.gate import render_gate

    stdout().print(render_gate(gate))


def status(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Every deployment: mode, equity, P&L today and in total, exposure, last tick, risk state.

    Examples:

        omc floor status

        omc floor status --json
    """
    from rich.table import Table

    from omc.floor.trading.service import status as floor_status

    report = floor_status(runtime(ctx))
    if json_output:
        print_json(report)
        return
    console = stdout()
    for kill in report["kill_switches"]:
        console.print(f"[bold red]KILL SWITCH[/] ({kill['scope']}): {kill['reason']}")
    if not report["deployments"]:
        console.print("no deployments yet: promote one with `omc floor promote`")
        return
    table = Table()
    for column in (
        "name",
        "target",
        "market",
        "mode",
        "equity",
        "P&L today",
        "P&L total",
        "exposure",
        "last tick",
        "state",
    ):
        table.add_column(column)
    for row in report["deployments"]:
        state = row["risk_state"] + (f": {row['reason']}" if row["reason"] else "")
        table.add_row(
            row["name"],
            row["target"],
            row["market"],
            row["mode"],
            row["equity"] or "-",
            row["pnl_today"] or "-",
            row["pnl_total"] or "-",
            row["exposure"] or "-",
            (row["last_tick"] or "never")[:19],
            state,
        )
    console.print(table)


def _change(ctx: typer.Context, ref: str, action: str, json_output: bool) -> None:
    from omc.floor.trading.service import change

    view = change(runtime(ctx), ref, action)
    if json_output:
        print_json(view)
        return
    text = f"{view['name']}: {view['status']}"
    if view.get("kill_switches_lifted"):
        text += " (its kill switch lifted)"
    stdout().print(text)


def pause(
    ctx: typer.Context,
    deployment: str = typer.Argument(..., help=DEPLOYMENT_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Pause a deployment: no ticks, no orders, positions kept, until `omc floor resume`.

    Examples:

        omc floor pause sma-crossover-btc-paper
    """
    _change(ctx, deployment, "pause", json_output)


def resume(
    ctx: typer.Context,
    deployment: str | None = typer.Argument(None, help=DEPLOYMENT_HELP),
    all_deployments: bool = typer.Option(
        False, "--all", help="Lift the kill switch set for all deployments."
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Resume a paused or halted deployment (lifting its kill switch), or lift the kill
    switch for all deployments with --all.

    Examples:

        omc floor resume sma-crossover-btc-paper

        omc floor resume --all
    """
    if all_deployments == (deployment is not None):
        raise UsageProblem("name one deployment to resume, or --all to lift the kill switch")
    if all_deployments:
        from omc.floor.trading.service import lift_all

        lifted = lift_all(runtime(ctx))
        if json_output:
            print_json({"lifted": lifted})
        else:
            stdout().print(
                "kill switch lifted for all deployments" if lifted else "no kill switch was set"
            )
        return
    _change(ctx, deployment or "", "resume", json_output)


def stop(
    ctx: typer.Context,
    deployment: str = typer.Argument(..., help=DEPLOYMENT_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Stop a deployment for good (its positions stay; sell them by hand if you wish).

    Examples:

        omc floor stop sma-crossover-btc-paper
    """
    _change(ctx, deployment, "stop", json_output)


def kill(
    ctx: typer.Context,
    deployment: str | None = typer.Argument(None, help=DEPLOYMENT_HELP),
    all_deployments: bool = typer.Option(False, "--all", help="Stop every deployment."),
    reason: str = typer.Option(..., "--reason", help="Why: recorded and shown everywhere."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """The kill switch: stop trading at once, for one deployment or --all, and cancel open
    orders. `omc floor resume` lifts it.

    Examples:

        omc floor kill --all --reason "exchange outage"

        omc floor kill sma-crossover-btc-live --reason "strange fills"
    """
    if all_deployments == (deployment is not None):
        raise UsageProblem("name one deployment, or --all, for the kill switch")
    from omc.floor.trading.service import kill as set_kill_switch

    view = set_kill_switch(runtime(ctx), deployment, reason)
    if json_output:
        print_json(view)
        return
    stdout().print(f"kill switch set for {view['scope']}: {view['reason']}")


def decisions(
    ctx: typer.Context,
    deployment: str = typer.Argument(..., help=DEPLOYMENT_HELP),
    last: int = typer.Option(20, "--last", min=1, help="How many of the newest ticks."),
    checks: bool = typer.Option(False, "--checks", help="Show every risk check of each tick."),
    verify: bool = typer.Option(
        False, "--verify", help="Replay each decision from the bars known then and compare."
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Why a deployment traded or did not, tick by tick: target, risk checks, order.

    --verify replays each decision: the bars as known when it was made, the inputs hash and
    the target recomputed; a decision that does not replay is marked.

    Examples:

        omc floor decisions sma-crossover-btc-paper --last 5 --checks

        omc floor decisions sma-crossover-btc-paper --verify --json
    """
    from rich.table import Table

    from omc.floor.trading.service import decisions as deployment_decisions
    from omc.floor.trading.service import verify_decisions

    lookup = verify_decisions if verify else deployment_decisions
    report = lookup(runtime(ctx), deployment, last)
    if json_output:
        print_json(report)
        return
    table = Table(title=f"decisions of {report['deployment']}")
    for column in ("bar", "target", "price", "outcome", "reason"):
        table.add_column(column)
    if verify:
        table.add_column("replays")
    for row in report["decisions"]:
        extra = []
        if verify:
            extra = ["-" if row["verified"] is None else ("yes" if row["verified"] else "NO")]
        table.add_row(
            row["bar_time"][:19],
            "-" if row["target"] is None else f"{row['target']:g}",
            row["price"] or "-",
            row["outcome"],
            row["reason"] or "",
            *extra,
        )
        if checks:
            for check in row["checks"]:
                table.add_row(
                    "", "", "", f"  {check['verdict']}", f"{check['name']}: {check['reason']}"
                )
    stdout().print(table)


def register(app: typer.Typer) -> None:
    """Add these commands to ``omc floor``."""
    for command in (promote, status, pause, resume, stop, kill, decisions):
        app.command(command.__name__)(command)
