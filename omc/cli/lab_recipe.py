"""``omc lab recipe``: build, evaluate and store an algorithm without an LLM."""

from __future__ import annotations

from typing import Any

import typer

from omc.cli.backtest import (
    AS_OF_HELP,
    COIN_HELP,
    QUOTE_HELP,
    SINCE_HELP,
    UNTIL_HELP,
    parse_duration,
    parse_time,
)
from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stderr, stdout
from omc.errors import UsageProblem


def recipe(
    ctx: typer.Context,
    coin: str = typer.Option(..., "--coin", help=COIN_HELP),
    quote: str = typer.Option("AUD", "--quote", help=QUOTE_HELP),
    horizon: str = typer.Option("24h", "--horizon", help="Label horizon, e.g. 24h or 3d."),
    since: str | None = typer.Option(None, "--since", help=SINCE_HELP),
    until: str | None = typer.Option(None, "--until", help=UNTIL_HELP),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    trials: int = typer.Option(
        20, "--trials", min=1, help="Model candidates to try (all counted)."
    ),
    folds: int = typer.Option(10, "--folds", min=2, help="Purged walk-forward folds."),
    embargo: str | None = typer.Option(
        None, "--embargo", help="Bars kept clear before each test window (default: one horizon)."
    ),
    name: str | None = typer.Option(None, "--name", help="Algorithm name (default from market)."),
    seed: int = typer.Option(0, "--seed", help="Random seed of the search and the models."),
    models: str | None = typer.Option(
        None,
        "--models",
        help="Comma-separated allow-listed classifiers to search (default: logistic_regression,"
        "random_forest_classifier,hist_gradient_boosting_classifier; omc[boost] adds "
        "lightgbm_classifier and xgboost_classifier).",
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Build an algorithm without an LLM: standard features, a model search, honest evaluation.

    Features (returns, volatility, RSI, MACD, volume z-score, and the ledgers' sentiment,
    on-chain and catalyst series when they hold any) run in the sandbox; models from the
    allow-list are searched with a purged walk-forward; the best is stored as a draft with its
    deflated Sharpe ratio, PBO, lookahead check, importances and report.

    Examples:

        omc lab recipe --coin BTC --quote USDT

        omc lab recipe --coin BTC --quote USDT --horizon 12h --trials 8 --folds 5 --json

        omc lab recipe --coin ETH --since 2023-01-01 --as-of 2024-01-01 --name eth-daily

        omc lab recipe --coin BTC --quote USDT --models logistic_regression,lightgbm_classifier
    """
    from omc.backtest.service import cost_model
    from omc.lab.recipe import RecipeOptions, run_recipe

    rt = runtime(ctx)
    options = RecipeOptions(
        coin=coin,
        quote=quote,
        horizon=parse_duration(horizon, "--horizon"),
        since=parse_time(since, "--since"),
        until=parse_time(until, "--until"),
        as_of=parse_time(as_of, "--as-of"),
        trials=trials,
        folds=folds,
        embargo=None if embargo is None else parse_duration(embargo, "--embargo"),
        name=name,
        seed=seed,
        models=_models(models),
        costs=cost_model(rt.settings.backtest),
        initial_cash=rt.settings.backtest.initial_cash,
    )
    arguments: dict[str, Any] = {"settings": rt.settings.lab, "user_id": rt.user_id()}
    if json_output:
        result = run_recipe(rt.engine(), rt.settings.home, options, **arguments)
        print_json(result.to_dict())
        return
    with _progress() as progress:
        task = progress.add_task("preparing", total=None)
        result = run_recipe(
            rt.engine(),
            rt.settings.home,
            options,
            progress=lambda done, total: progress.update(
                task, description="fitting candidates x folds", completed=done, total=total
            ),
            stage=lambda text: progress.update(task, description=text),
            **arguments,
        )
    _print_result(result)


def _models(text: str | None) -> tuple[str, ...]:
    from omc.lab.recipe import RECIPE_CLASSIFIERS

    if text is None:
        return RECIPE_CLASSIFIERS
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise UsageProblem("--models names no model: use e.g. logistic_regression")
    return names


def _progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = stderr()
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    )


def _print_result(result: Any) -> None:
    from omc.backtest.report import percent, signed_percent
    from omc.lab.report import verdict

    evaluation = result.evaluation
    oos, hold = evaluation["out_of_sample"], evaluation["buy_and_hold"]
    deflated = evaluation["deflated_sharpe"]
    pbo = evaluation.get("pbo")
    console = stdout()
    console.print(f"stored {result.reference} (draft), {deflated['trials']} trials counted")
    console.print(
        f"out of sample: {signed_percent(oos['total_return'])} (buy and hold "
        f"{signed_percent(hold['total_return'])}), deflated Sharpe "
        f"{percent(deflated['deflated_sharpe'])}, PBO "
        f"{percent(pbo['probability']) if pbo else '-'}, lookahead "
        f"{'passed' if evaluation['lookahead']['passed'] else 'FAILED'}"
    )
    console.print(verdict(evaluation))
    console.print(f"report: {result.report_path}")
    console.print(f"plot:   {result.plot_path}")
