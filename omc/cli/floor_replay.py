"""``omc floor replay`` (the trading loop over stored bars on a simulated clock, beside
``omc backtest run`` on the same bars) and ``omc floor report`` (a deployment beside the
backtest of its period). Thin shells over :mod:`omc.floor.trading.replay` and ``.report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stdout


def replay(
    ctx: typer.Context,
    target: str = typer.Argument(..., help="A strategy (sma_crossover) or algo:NAME[@VERSION]."),
    coin: str = typer.Option(..., "--coin", help="The coin, like BTC."),
    quote: str = typer.Option("AUD", "--quote", help="The quote currency."),
    since: str | None = typer.Option(None, "--since", help="First bar (YYYY-MM-DD, UTC)."),
    until: str | None = typer.Option(None, "--until", help="End, exclusive (YYYY-MM-DD, UTC)."),
    param: Annotated[
        list[str] | None, typer.Option("--param", help="A strategy parameter NAME=VALUE.")
    ] = None,
    limit: Annotated[
        list[str] | None, typer.Option("--limit", help="Override a [floor] risk limit.")
    ] = None,
    capital: float | None = typer.Option(
        None, "--capital", help="Starting cash (default: the [backtest] initial cash)."
    ),
    fee: float | None = typer.Option(None, "--fee", help="Fee per fill, 0.01 = 1% (setting)."),
    exact: bool = typer.Option(
        False,
        "--exact/--paper-broker",
        help="Fill with the backtest's exact arithmetic instead of through the paper broker.",
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Replay the trading loop over stored bars and compare its trades with the backtest's.

    Every bar's close is a tick filled at the next bar's open through the paper broker (on a
    scratch database of its own), under the [floor] risk limits (override with --limit).
    Where the risk engine clamped or stopped an order, the decision is listed; with limits
    that never bind, the trades equal `omc backtest run`'s (the paper broker rounds amounts to
    CoinSpot's 8 places; --exact fills with the backtest's arithmetic and compares amounts too).

    Examples:

        omc floor replay sma_crossover --coin BTC --quote USDT --since 2024-01-01 --until 2025-01-01

        omc floor replay momentum --coin BTC --limit max_drawdown=1 --limit daily_loss_limit=1
    """
    from decimal import Decimal

    from omc.backtest.service import cost_model
    from omc.cli.backtest import _query, parse_assignments
    from omc.floor.trading.limits import parse_overrides, resolve_limits
    from omc.floor.trading.replay import replay_market

    rt = runtime(ctx)
    settings = rt.settings
    costs = cost_model(settings.backtest, fee_rate=fee)
    limits = resolve_limits(
        settings.floor, parse_overrides(limit), settings.backtest.minimum_order_value
    )
    cash = Decimal(repr(float(settings.backtest.initial_cash if capital is None else capital)))
    bars, result = replay_market(
        rt.engine,
        _query(coin, quote, since, until, None),
        target,
        parse_assignments(param, "--param"),
        costs,
        cash,
        limits,
        paper_broker=not exact,
    )
    if json_output:
        print_json({"bars": bars.to_dict(), **result.to_dict()})
        return
    console = stdout()
    console.print(
        f"replayed {result.target} on {bars.market}: {result.ticks} ticks from "
        f"{_minute(bars.first)} to {_minute(bars.last)}; {len(result.fills)} fills, final "
        f"equity {result.final_equity:.2f}"
    )
    console.print(
        "outcomes: "
        + ", ".join(f"{name} {count}" for name, count in sorted(result.outcomes.items()))
    )
    if result.matches_backtest:
        console.print(
            f"same trades as `omc backtest run`: all {len(result.backtest_fills)} fills at the "
            f"same times, sides and prices "
            + (
                "(through the paper broker, whose 8-place amounts differ from the backtest's by "
                f"at most {Decimal(result.largest_differences['notional']):.4f} in value)"
                if result.broker != "exact"
                else "(exact fills: amounts equal too)"
            )
        )
    else:
        console.print(
            f"differs from `omc backtest run` ({len(result.backtest_fills)} fills) at "
            f"{len(result.differences)} fill(s); the risk engine stepped in at:"
        )
    for item in result.interventions[:50]:
        console.print(
            f"  {_minute(item['tick'])} {item['check']} {item['verdict']}: {item['reason']}"
        )
    if len(result.interventions) > 50:
        console.print(f"  … and {len(result.interventions) - 50} more (--json lists all)")


def _minute(text: str) -> str:
    return text[:16].replace("T", " ")


def report(
    ctx: typer.Context,
    deployment: str = typer.Argument(
        ..., help="A deployment's name (or a unique start of its id)."
    ),
    png: Annotated[
        Path | None, typer.Option("--png", help="Write both equity curves to this PNG.")
    ] = None,
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """A deployment beside the backtest of the same period: returns, tracking error, a PNG.

    Examples:

        omc floor report sma-crossover-btc-paper --png sma.png
    """
    from omc.floor.trading.report import deployment_report

    result = deployment_report(runtime(ctx), deployment, png)
    if json_output:
        print_json(result)
        return
    console = stdout()
    if result.get("error") is None:
        console.print(f"{result['deployment']}: nothing to compare yet ({result['reason']})")
        return
    console.print(
        f"{result['deployment']} ({result['mode']}), {result['ticks']} ticks from "
        f"{_minute(result['first_bar'])} to {_minute(result['last_bar'])}: return "
        f"{result['paper_return']:+.2%} against the backtest's {result['backtest_return']:+.2%} "
        f"on the same bars (tracking error {result['error']:.2%})"
    )
    if "png" in result:
        console.print(f"plot written to {result['png']}")
