"""``omc algo``: the stored algorithms: list, show, report, reproduce, retire."""

from __future__ import annotations

from typing import Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, key_value_table, print_json, stdout

app = typer.Typer(
    help="Stored algorithms (made by `omc lab recipe` or the lab): list, show, report, "
    "reproduce, retire.",
    no_args_is_help=True,
    add_completion=False,
)

REFERENCE_HELP = "An algorithm as NAME or NAME@VERSION (algo: prefix optional)."


@app.command("list")
def list_(
    ctx: typer.Context,
    all_versions: bool = typer.Option(False, "--all", help="Include retired versions."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List stored algorithms with their out-of-sample results.

    Examples:

        omc algo list

        omc algo list --all --json
    """
    from rich.table import Table

    from omc.backtest.report import percent, signed_percent
    from omc.lab.service import list_algorithms

    rows = list_algorithms(runtime(ctx).engine(), include_retired=all_versions)
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print("no algorithms stored yet: make one with omc lab recipe --coin BTC")
        return
    table = Table(title="algorithms")
    for column in ("algorithm", "status", "market", "model", "trials", "OOS return",
                   "buy & hold", "deflated Sharpe", "PBO", "lookahead"):  # fmt: skip
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["algorithm"],
            row["status"],
            row["market"],
            row["model_kind"],
            str(row["trials"]),
            signed_percent(row["out_of_sample_return"]),
            signed_percent(row["buy_and_hold_return"]),
            percent(row["deflated_sharpe"]),
            percent(row["pbo"]) if row["pbo"] is not None else "-",
            {True: "passed", False: "FAILED", None: "-"}[row["lookahead_passed"]],
        )
    stdout().print(table)


@app.command("show")
def show(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help=REFERENCE_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one algorithm version: label, model, decision rule, data, artifacts.

    Examples:

        omc algo show btc-usdt-24h-recipe

        omc algo show btc-usdt-24h-recipe@2 --json
    """
    from omc.lab.service import show_algorithm

    rt = runtime(ctx)
    data = show_algorithm(rt.engine(), rt.settings.home, reference)
    if json_output:
        print_json(data)
        return
    rows: list[tuple[str, Any]] = [
        (key, data[key])
        for key in (
            "algorithm",
            "status",
            "market",
            "model_kind",
            "model_params",
            "label",
            "decision",
            "trials",
            "data_since",
            "data_until",
            "as_of",
            "random_seed",
            "feature_sha256",
        )
    ]
    rows.append(("features", ", ".join(data["feature_columns"])))
    for artifact in data["artifacts"]:
        rows.append((artifact["kind"], artifact["path"]))
    stdout().print(key_value_table(rows, title=data["algorithm"]))


@app.command("report")
def report(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help=REFERENCE_HELP),
    open_plot: bool = typer.Option(False, "--open", help="Open the PNG with the desktop viewer."),
    path_only: bool = typer.Option(False, "--path", help="Print only the report's path."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Print an algorithm's report (Markdown) and the path of its PNG.

    Examples:

        omc algo report btc-usdt-24h-recipe

        omc algo report btc-usdt-24h-recipe@1 --open
    """
    from omc.lab.service import algorithm_report

    rt = runtime(ctx)
    text, path, plot = algorithm_report(rt.engine(), rt.settings.home, reference)
    if json_output:
        print_json({"report": str(path), "plot": str(plot) if plot else None, "markdown": text})
        return
    if path_only:
        typer.echo(str(path))
        return
    from rich.markdown import Markdown

    console = stdout()
    console.print(Markdown(text) if console.is_terminal else text)
    if plot is not None:
        console.print(f"plot: {plot}")
        if open_plot:
            typer.launch(str(plot))


@app.command("reproduce")
def reproduce(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help=REFERENCE_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Refit an algorithm from the same data and seed and compare; exits 1 if anything differs.

    Examples:

        omc algo reproduce btc-usdt-24h-recipe@1

        omc algo reproduce btc-usdt-24h-recipe --json
    """
    from omc.lab.reproduce import reproduce as refit

    rt = runtime(ctx)
    result = refit(rt.engine(), rt.settings.home, reference, rt.settings.lab)
    if json_output:
        print_json(result.to_dict())
    else:
        console = stdout()
        if result.exact:
            console.print(
                f"{result.reference} reproduces exactly: {result.predictions_compared} "
                "predictions and the out-of-sample metrics are identical"
            )
        else:
            console.print(f"{result.reference} does NOT reproduce:")
            for line in result.differences:
                console.print(f"  {line}")
    if not result.exact:
        raise typer.Exit(1)


@app.command("retire")
def retire(
    ctx: typer.Context,
    reference: str = typer.Argument(..., help=REFERENCE_HELP),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Retire an algorithm version: kept for the record, no longer the default version.

    Examples:

        omc algo retire btc-usdt-24h-recipe@1
    """
    from omc.lab.service import retire as retire_version

    data = retire_version(runtime(ctx).engine(), reference)
    if json_output:
        print_json(data)
        return
    stdout().print(f"retired {data['algorithm']}")
