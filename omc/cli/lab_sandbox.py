"""``omc lab exec`` and ``omc lab doctor``: the sandbox, for people."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, key_value_table, print_json, print_table, stderr, stdout
from omc.errors import EX_SOFTWARE, UsageProblem

ROWS_SHOWN = 20


def exec_command(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="A Python feature file that sets `result` from `df`.")
    ],
    coin: str = typer.Option(..., "--coin", help="The coin whose bars are `df`, e.g. BTC."),
    quote: str = typer.Option("AUD", "--quote", help="The quote currency of the market."),
    since: str | None = typer.Option(
        "30d", "--since", help="First bar: an ISO date, or a duration back from now (30d, 12w)."
    ),
    until: str | None = typer.Option(None, "--until", help="Stop before this time."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Use only bars omc had collected by this time (point in time)."
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    csv_output: bool = typer.Option(False, "--csv", help="Print the result as CSV."),
) -> None:
    """Run your own feature file in the sandbox on a market's stored bars and print `result`.

    The file sees the bars as `df` (a UTC-indexed DataFrame: open, high, low, close or last,
    volume) and may import math, statistics, numpy, pandas, parts of scikit-learn and
    omc.strategies.indicators. It runs under the same limits as the lab's generated code.

    Examples:

        omc lab exec features.py --coin BTC

        omc lab exec rsi.py --coin ETH --quote USDT --since 2024-01-01 --json

        omc lab exec zscore.py --coin BTC --as-of 2024-06-01 --csv > zscore.csv
    """
    from omc.backtest.data import BarsQuery
    from omc.cli.backtest import parse_time
    from omc.lab.feature_file import read_feature_file, run_feature_file, to_csv, to_jsonable

    if json_output and csv_output:
        raise UsageProblem("use either --json or --csv, not both")
    read_feature_file(file)  # a missing file is reported before the database is opened
    rt = runtime(ctx)
    query = BarsQuery(
        coin, quote, parse_time(since, "--since"), parse_time(until, "--until"),
        parse_time(as_of, "--as-of"),
    )  # fmt: skip
    run = run_feature_file(rt.engine(), file, query)
    if run.printed:
        sys.stderr.write(run.printed)
    if json_output:
        print_json({"bars": run.bars.to_dict(), "result": to_jsonable(run.result)})
    elif csv_output:
        sys.stdout.write(to_csv(run.result))
    else:
        _render(run)


def _render(run: Any) -> None:
    import pandas as pd
    from rich.table import Table

    console = stdout()
    bars = run.bars
    console.print(
        f"{bars.bars} bars of {bars.market} from {bars.first} to {bars.last}; "
        f"ran in {run.seconds:.2f} s"
    )
    value = run.result
    if isinstance(value, pd.Series):
        value = value.to_frame(name=value.name if value.name is not None else "value")
    if isinstance(value, pd.DataFrame):
        shown = value.tail(ROWS_SHOWN)
        table = Table(title=f"result: {len(value)} rows x {len(value.columns)} columns"
                      + (f" (last {ROWS_SHOWN})" if len(value) > ROWS_SHOWN else ""))  # fmt: skip
        table.add_column(str(value.index.name or ""))
        for column in shown.columns:
            table.add_column(str(column), justify="right")
        for label, row in shown.iterrows():
            table.add_row(str(label), *(_cell(item) for item in row))
        print_table(table, console=console)
        return
    if isinstance(value, dict):
        print_table(key_value_table([(str(k), _cell(v)) for k, v in value.items()], "result"),
                    console=console)  # fmt: skip
        return
    console.print(f"result: {_cell(value)}", markup=False)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "…"


def doctor(json_output: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """Show the sandbox's layers, limits and allowed modules, and run its self-test.

    The self-test runs analysis code, code each layer must stop, and a probe in a sandboxed
    child that tries sockets, file writes, new processes and programs. Exits 70 when any
    check fails.

    Examples:

        omc lab doctor

        omc lab doctor --json | jq .layers
    """
    from omc.lab.sandbox.doctor import doctor_report

    report = doctor_report()
    if json_output:
        print_json(report)
    else:
        _render_doctor(report)
    if not report["healthy"]:
        raise typer.Exit(EX_SOFTWARE)


def _render_doctor(report: dict[str, Any]) -> None:
    from rich.table import Table

    console = stdout()
    layers = Table(title="sandbox layers")
    for name in ("layer", "active", "how"):
        layers.add_column(name)
    for layer in report["layers"]:
        active = "[green]yes[/]" if layer["active"] else "[red]no[/]"
        layers.add_row(layer["name"], active, str(layer["note"]))
    print_table(layers, console=console)
    print_table(key_value_table(list(report["limits"].items()), title="limits"), console=console)
    console.print("allowed modules: " + ", ".join(report["modules"]), markup=False)
    checks = Table(title=f"self-test ({report['seconds']:.1f} s)")
    for name in ("check", "result", "detail"):
        checks.add_column(name)
    for check in report["self_test"]:
        passed = "[green]pass[/]" if check["passed"] else "[red]FAIL[/]"
        checks.add_row(check["check"], passed, check["detail"])
    print_table(checks, console=console)
    if not report["healthy"]:
        stderr().print("[red]the sandbox failed its self-test[/]")


def register(app: typer.Typer) -> None:
    """Add ``exec`` and ``doctor`` to the ``omc lab`` group."""
    app.command("exec")(exec_command)
    app.command("doctor")(doctor)
