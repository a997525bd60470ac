"""``omc backtest``: list strategies, backtest one, walk it forward, check it for lookahead."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, print_table, stderr, stdout
from omc.errors import UsageProblem

if TYPE_CHECKING:
    from omc.backtest.costs import CostModel
    from omc.backtest.data import BarsQuery
    from omc.runtime import Runtime

app = typer.Typer(
    help="Backtest strategies on stored prices, walk them forward, check them for lookahead.",
    no_args_is_help=True,
    add_completion=False,
)

DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
STRATEGY_HELP = (
    "A strategy name from `omc backtest list`, e.g. sma_crossover, or a stored algorithm as "
    "algo:NAME[@VERSION] (omc algo list)."
)
COIN_HELP = "The coin, e.g. BTC."
QUOTE_HELP = "The quote currency of the market (imported Binance history is USDT)."
SINCE_HELP = "First bar: an ISO date, or a duration back from now (90d, 12w)."
UNTIL_HELP = "Stop before this time: an ISO date, or a duration back from now."
AS_OF_HELP = "Use only bars omc had collected by this time (point in time)."
PARAM_HELP = "A strategy parameter, NAME=VALUE; repeat for each."


def parse_duration(value: str, option: str) -> dt.timedelta:
    """``30m``, ``12h``, ``90d``, ``2w`` → a timedelta."""
    match = DURATION.match(value)
    if not match:
        raise UsageProblem(f"invalid {option} {value!r}: use a duration like 12h, 90d or 2w")
    return dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


def parse_time(value: str | None, option: str) -> dt.datetime | None:
    """An ISO date/time (UTC unless stated), or a duration back from now."""
    if value is None:
        return None
    from omc.db import as_utc, utcnow

    if DURATION.match(value):
        return utcnow() - parse_duration(value, option)
    try:
        return as_utc(dt.datetime.fromisoformat(value))
    except ValueError:
        raise UsageProblem(
            f"invalid {option} {value!r}: use an ISO date like 2024-01-31 or a duration like 90d"
        ) from None


def parse_assignments(items: list[str] | None, option: str) -> dict[str, str]:
    """``["fast=20", "slow=100"]`` → ``{"fast": "20", "slow": "100"}``."""
    values: dict[str, str] = {}
    for item in items or []:
        name, separator, value = item.partition("=")
        if not separator or not name.strip() or not value.strip():
            raise UsageProblem(f"invalid {option} {item!r}: use NAME=VALUE, e.g. fast=20")
        values[name.strip()] = value.strip()
    return values


def parse_lists(items: list[str] | None, option: str) -> dict[str, list[str]]:
    """``["fast=10,20"]`` → ``{"fast": ["10", "20"]}``."""
    return {
        name: [part.strip() for part in value.split(",") if part.strip()]
        for name, value in parse_assignments(items, option).items()
    }


def parse_ranges(items: list[str] | None) -> dict[str, tuple[str, str]]:
    """``["fast=5,50"]`` → ``{"fast": ("5", "50")}``."""
    ranges = {}
    for name, values in parse_lists(items, "--range").items():
        if len(values) != 2:
            raise UsageProblem(f"invalid --range for {name!r}: use NAME=LOW,HIGH, e.g. fast=5,50")
        ranges[name] = (values[0], values[1])
    return ranges


def _query(
    coin: str, quote: str, since: str | None, until: str | None, as_of: str | None
) -> BarsQuery:
    from omc.backtest.data import BarsQuery

    return BarsQuery(
        coin,
        quote,
        parse_time(since, "--since"),
        parse_time(until, "--until"),
        parse_time(as_of, "--as-of"),
    )


def _costs(
    rt: Runtime, fee: float | None, slippage: float | None, minimum: float | None
) -> CostModel:
    from omc.backtest.service import cost_model

    return cost_model(
        rt.settings.backtest, fee_rate=fee, slippage_bps=slippage, minimum_order_value=minimum
    )


def _costs_line(costs: CostModel, initial_cash: float) -> str:
    return (
        f"fee {costs.fee_rate * 100:g}% per fill, slippage {costs.slippage_bps:g} bps, "
        f"starting cash {initial_cash:,.2f}"
    )


@app.command("list")
def list_(json_output: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List the strategies with their parameters: type, default and allowed range.

    Examples:

        omc backtest list

        omc backtest list --json
    """
    from rich.table import Table

    from omc.strategies import list_strategies

    strategies = list_strategies()
    if json_output:
        print_json([strategy.describe() for strategy in strategies])
        return
    table = Table(title="strategies")
    for name in ("strategy", "parameter", "type", "default", "range", "meaning"):
        table.add_column(name)
    for strategy in strategies:
        table.add_row(f"[bold]{strategy.name}[/]", "", "", "", "", strategy.description)
        for parameter in strategy.parameters:
            table.add_row(
                "",
                parameter.name,
                parameter.kind.__name__,
                f"{parameter.default:g}",
                f"{parameter.minimum:g} to {parameter.maximum:g}",
                parameter.description,
            )
    print_table(table, wrap=("meaning",))


@app.command("run")
def run(
    ctx: typer.Context,
    strategy: str = typer.Argument(..., help=STRATEGY_HELP),
    coin: str = typer.Option(..., "--coin", help=COIN_HELP),
    quote: str = typer.Option("AUD", "--quote", help=QUOTE_HELP),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    param: Annotated[list[str] | None, typer.Option("--param", help=PARAM_HELP)] = None,
    fee: float | None = typer.Option(None, "--fee", help="Fee per fill, 0.01 = 1% (setting)."),
    slippage_bps: float | None = typer.Option(None, "--slippage-bps", help="Slippage (setting)."),
    min_order: float | None = typer.Option(None, "--min-order", help="Smallest order (setting)."),
    cash: float | None = typer.Option(None, "--cash", help="Starting cash (setting)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    plot: Annotated[
        Path | None, typer.Option("--plot", help="Write an equity/drawdown PNG.")
    ] = None,
    trades: Annotated[
        Path | None, typer.Option("--trades", help="Write the trades as CSV.")
    ] = None,
) -> None:
    """Backtest a strategy on one market's stored bars, beside buy-and-hold.

    The signal from bars up to and including bar t is filled at the open of bar t+1.
    Costs default to the [backtest] settings (CoinSpot's 1% instant-trade fee).

    Examples:

        omc backtest run sma_crossover --coin BTC --quote USDT --param fast=20 --param slow=100

        omc backtest run rsi_mean_reversion --coin ETH --since 2024-01-01 --fee 0.001 --json

        omc backtest run momentum --coin BTC --quote USDT --plot btc.png --trades btc.csv

        omc backtest run algo:btc-recipe --coin BTC --quote USDT
    """
    from omc.backtest.service import backtest_market

    rt = runtime(ctx)
    query = _query(coin, quote, since, until, as_of)
    costs = _costs(rt, fee, slippage_bps, min_order)
    initial_cash = rt.settings.backtest.initial_cash if cash is None else cash
    params = parse_assignments(param, "--param")
    outcome = backtest_market(
        rt.engine, query, strategy, params, costs, initial_cash, home=rt.settings.home
    )
    result = outcome.result
    written = _write_files(outcome, plot, trades)
    if json_output:
        print_json({"bars": outcome.bars.to_dict(), **result.to_dict()})
        return
    _print_backtest(outcome, initial_cash)
    for line in written:
        stdout().print(line)


def _write_files(outcome: Any, plot: Path | None, trades: Path | None) -> list[str]:
    result = outcome.result
    written = []
    if trades is not None:
        result.trades_frame().to_csv(trades, index=False)
        written.append(f"trades written to {trades}")
    if plot is not None:
        from omc.backtest.plot import save_equity_plot

        title = f"{result.strategy} on {outcome.bars.market}"
        save_equity_plot(result.equity, plot, benchmark=result.benchmark_equity, title=title)
        written.append(f"plot written to {plot}")
    return written


def _print_backtest(outcome: Any, initial_cash: float) -> None:
    from rich.table import Table

    from omc.backtest.plot import sparkline
    from omc.backtest.report import metric_rows, params_text, short_time

    result, bars = outcome.result, outcome.bars
    console = stdout()
    console.print(
        f"{result.strategy} ({params_text(result.params)}) on {bars.market}: "
        f"{bars.bars} bars from {short_time(bars.first)} to {short_time(bars.last)}"
    )
    console.print(_costs_line(result.costs, initial_cash))
    table = Table()
    table.add_column("metric")
    table.add_column(result.strategy, justify="right")
    table.add_column("buy and hold", justify="right")
    for row in metric_rows(result.metrics, result.benchmark):
        table.add_row(*row)
    print_table(table, console=console)
    console.print(f"equity        {sparkline(result.equity)}")
    if result.benchmark_equity is not None:
        console.print(f"buy and hold  {sparkline(result.benchmark_equity)}")


@app.command("walk-forward")
def walk_forward(
    ctx: typer.Context,
    strategy: str = typer.Argument(..., help=STRATEGY_HELP),
    coin: str = typer.Option(..., "--coin", help=COIN_HELP),
    train: str = typer.Option(..., "--train", help="Training window, e.g. 90d."),
    test: str = typer.Option(..., "--test", help="Test window after it, e.g. 30d."),
    grid: Annotated[
        list[str] | None, typer.Option("--grid", help="NAME=V1,V2,... to search.")
    ] = None,
    random: int | None = typer.Option(None, "--random", min=1, help="Random search of N sets."),
    ranges: Annotated[
        list[str] | None, typer.Option("--range", help="NAME=LOW,HIGH for --random.")
    ] = None,
    seed: int = typer.Option(0, "--seed", help="Seed of the random search."),
    embargo: str = typer.Option("0h", "--embargo", help="Gap between train and test, e.g. 1d."),
    anchored: bool = typer.Option(False, "--anchored", help="Train on all history so far."),
    objective: str = typer.Option("sharpe", "--objective", help="sharpe, sortino, calmar, …"),
    quote: str = typer.Option("AUD", "--quote", help=QUOTE_HELP),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    fee: float | None = typer.Option(None, "--fee", help="Fee per fill, 0.01 = 1% (setting)."),
    slippage_bps: float | None = typer.Option(None, "--slippage-bps", help="Slippage (setting)."),
    min_order: float | None = typer.Option(None, "--min-order", help="Smallest order (setting)."),
    cash: float | None = typer.Option(None, "--cash", help="Starting cash (setting)."),
    save: bool = typer.Option(
        False, "--save", help="Store the out-of-sample record: the live gate's evidence."
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Walk forward: search parameters on training windows, judge them on the test windows.

    Each fold's parameters are chosen on its training window only and judged on the test
    window that follows (after the embargo); the test windows are stitched into one
    out-of-sample record.

    Objectives: sharpe, sortino, total_return, calmar (on the training window).

    Examples:

        omc backtest walk-forward sma_crossover --coin BTC --quote USDT --train 90d --test 30d
            --grid fast=10,20,50 --grid slow=100,200

        omc backtest walk-forward momentum --coin BTC --quote USDT --train 180d --test 30d
            --embargo 1d --anchored --random 200 --range lookback=6,240 --json

    With --save the stitched out-of-sample record is stored with a deflated Sharpe ratio whose
    trials are every candidate of every walk-forward saved for this strategy and market; the
    live gate of `omc floor promote --live` accepts a strategy whose parameters are the ones
    its newest matching record's last fold chose:

        omc backtest walk-forward momentum --coin BTC --train 90d --test 30d
            --grid lookback=24,48 --save
    """
    from omc.backtest.service import walk_forward_market

    if save and strategy.strip().lower().startswith("algo:"):
        raise UsageProblem(
            "--save is for built-in strategies; an algorithm keeps its own evaluation "
            "(omc algo show)"
        )
    if grid and random is not None:
        raise UsageProblem("use either --grid or --random, not both")
    if ranges and random is None:
        raise UsageProblem("--range needs --random N")
    rt = runtime(ctx)
    query = _query(coin, quote, since, until, as_of)
    costs = _costs(rt, fee, slippage_bps, min_order)
    initial_cash = rt.settings.backtest.initial_cash if cash is None else cash
    options: dict[str, Any] = {
        "train": parse_duration(train, "--train"),
        "test": parse_duration(test, "--test"),
        "embargo": parse_duration(embargo, "--embargo"),
        "anchored": anchored,
        "grid": parse_lists(grid, "--grid"),
        "random_samples": random,
        "random_ranges": parse_ranges(ranges),
        "seed": seed,
        "objective": objective,
        "costs": costs,
        "initial_cash": initial_cash,
        "home": rt.settings.home,
        "score_candidates": save,
    }
    if json_output:
        outcome = walk_forward_market(rt.engine, query, strategy, **options)
        body = {"bars": outcome.bars.to_dict(), **outcome.result.to_dict()}
        if save:
            body["record"] = _save_record(rt, query, outcome.result, options)
        print_json(body)
        return
    with _progress() as progress:
        task = progress.add_task("searching parameters", total=None)
        outcome = walk_forward_market(
            rt.engine,
            query,
            strategy,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
            **options,
        )
    _print_walk_forward(outcome, costs, initial_cash)
    if save:
        record = _save_record(rt, query, outcome.result, options)
        stdout().print(_record_line(record))


def _save_record(rt: Runtime, query: BarsQuery, result: Any, options: dict[str, Any]) -> dict:
    from omc.backtest.records import record_view, store_walk_forward

    search = {
        key: str(options[key]) if isinstance(options[key], dt.timedelta) else options[key]
        for key in ("train", "test", "embargo", "anchored", "grid", "random_samples", "seed")
    }
    search["objective"] = options["objective"]
    search["random_ranges"] = {k: list(v) for k, v in (options["random_ranges"] or {}).items()}
    with rt.session() as session:
        stored = store_walk_forward(session, rt.user_id(), query.coin, query.quote, result, search)
        return record_view(stored)


def _record_line(record: dict[str, Any]) -> str:
    deflated = record["deflated_sharpe"]
    shown = "undefined" if deflated is None else f"{deflated:.3f}"
    params = " ".join(f"--param {key}={value}" for key, value in record["params"].items())
    from omc.floor.trading.targets import describe_interval

    coin, quote = record["market"].split("/")
    interval = describe_interval(record["bar_seconds"])
    return (
        f"stored walk-forward record {record['id'][:8]}: deflated Sharpe {shown} over "
        f"{record['trials']} trials, {record['oos_trades']} out-of-sample trades; the live gate "
        f"counts it for `omc floor promote {record['strategy']} --coin {coin} --quote {quote} "
        f"--interval {interval} {params}`"
    )


@app.command("records")
def records(
    ctx: typer.Context,
    strategy: str | None = typer.Argument(None, help="Only this strategy's records."),
    coin: str | None = typer.Option(None, "--coin", help="Only this coin's records."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Stored walk-forward records (`walk-forward --save`), newest first: the out-of-sample
    evidence the live gate reads for a built-in strategy.

    Examples:

        omc backtest records

        omc backtest records momentum --coin BTC --json
    """
    from rich.table import Table

    from omc.backtest.records import record_view, records_for

    rt = runtime(ctx)
    with rt.session() as session:
        views = [
            record_view(record)
            for record in records_for(
                session, rt.user_id(), strategy, coin.strip().upper() if coin else None
            )
        ]
    if json_output:
        print_json({"records": views})
        return
    if not views:
        stdout().print("no walk-forward records stored: `omc backtest walk-forward … --save`")
        return
    table = Table(title="walk-forward records")
    for name in ("id", "strategy", "market", "bar", "parameters", "deflated Sharpe", "trials",
                 "oos trades", "oos return", "stored"):  # fmt: skip
        table.add_column(name, justify="left" if name in ("strategy", "parameters") else "right")
    for view in views:
        deflated = view["deflated_sharpe"]
        table.add_row(
            view["id"][:8],
            view["strategy"],
            view["market"],
            f"{view['bar_seconds']}s",
            " ".join(f"{key}={value}" for key, value in view["params"].items()),
            "–" if deflated is None else f"{deflated:.3f}",
            str(view["trials"]),
            str(view["oos_trades"]),
            f"{view['oos_return']:+.2%}",
            view["created_at"][:16],
        )
    print_table(table, console=stdout())


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    # On stderr, so the tables on stdout stay clean for pipes; only where someone watches.
    console = stderr()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _print_walk_forward(outcome: Any, costs: CostModel, initial_cash: float) -> None:
    from rich import box
    from rich.table import Table

    from omc.backtest.plot import sparkline
    from omc.backtest.report import FOLD_COLUMNS, fold_rows, metric_rows, short_time

    result, bars = outcome.result, outcome.bars
    console = stdout()
    skipped = f" ({result.skipped_candidates} inconsistent skipped)" * bool(
        result.skipped_candidates
    )
    console.print(
        f"{result.strategy} walk-forward on {bars.market}: {bars.bars} bars from "
        f"{short_time(bars.first)} to {short_time(bars.last)}; {result.candidates} parameter "
        f"sets{skipped} chosen by {result.objective}"
    )
    console.print(_costs_line(costs, initial_cash))
    folds = Table(title="folds", box=box.SIMPLE_HEAD, show_edge=False, collapse_padding=True)
    for name in FOLD_COLUMNS:
        left = name in ("test from", "parameters")
        folds.add_column(name, justify="left" if left else "right", no_wrap=left)
    for row in fold_rows(result.folds):
        folds.add_row(*row)
    print_table(folds, console=console)
    stitched = Table(title="stitched out-of-sample")
    stitched.add_column("metric")
    stitched.add_column("out of sample", justify="right")
    for row in metric_rows(result.out_of_sample):
        stitched.add_row(*row)
    print_table(stitched, console=console)
    console.print(f"equity  {sparkline(result.out_of_sample_equity)}")


@app.command("check")
def check(
    ctx: typer.Context,
    strategy: str = typer.Argument(..., help=STRATEGY_HELP),
    coin: str | None = typer.Option(None, "--coin", help="Check on this coin's bars."),
    quote: str = typer.Option("AUD", "--quote", help=QUOTE_HELP),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    param: Annotated[list[str] | None, typer.Option("--param", help=PARAM_HELP)] = None,
    truncations: int = typer.Option(50, "--truncations", min=2, help="Cut points to compare."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Check a strategy for lookahead (a signal that uses later data); exits 1 if it peeks.

    Signals are recomputed on the data cut at many points; every bar whose signal changes
    when later data is added is reported.

    Without --coin the check runs on synthetic hourly bars, so it needs no data.

    Examples:

        omc backtest check sma_crossover

        omc backtest check bollinger_breakout --coin BTC --quote USDT --param period=50 --json

        omc backtest check algo:btc-recipe@1 --coin BTC --quote USDT
    """
    from omc.backtest.service import check_strategy

    params = parse_assignments(param, "--param")
    rt = runtime(ctx)
    home = rt.settings.home
    if coin is None:
        outcome = check_strategy(
            None, None, strategy, params, truncations, home=home, algorithm_connect=rt.engine
        )
    else:
        query = _query(coin, quote, since, until, None)
        outcome = check_strategy(rt.engine, query, strategy, params, truncations, home=home)
    report, bars = outcome.result, outcome.bars
    if json_output:
        print_json({"bars": bars.to_dict(), **report.to_dict()})
    else:
        _print_check(outcome)
    if not report.passed:
        raise typer.Exit(1)


def _print_check(outcome: Any) -> None:
    from rich.table import Table

    from omc.backtest.report import params_text

    report, bars = outcome.result, outcome.bars
    console = stdout()
    scope = (
        f"{report.strategy} ({params_text(report.params)}) on {bars.market}: {bars.bars} bars, "
        f"{report.truncations} truncations, {report.bars_compared:,} bar signals compared"
    )
    console.print(scope)
    if report.passed:
        console.print("passed: no signal changed when later data was added")
        return
    console.print(
        f"FAILED: {report.violating_bars} bars have signals that change when later data is "
        "added (the strategy peeks)"
    )
    table = Table()
    for name in ("bar", "seen up to", "signal with later data", "signal without"):
        table.add_column(name)
    for violation in report.violations:
        table.add_row(
            violation.bar_time,
            violation.truncated_at,
            f"{violation.target_with_later_data:g}",
            f"{violation.target_without_later_data:g}",
        )
    print_table(table, console=console)
