"""``omc data``: import, backfill and inspect market and ledger data."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, key_value_table, print_json, print_table, stdout
from omc.errors import NotFound, UsageProblem

app = typer.Typer(
    help="Import, backfill and inspect market and ledger data.",
    no_args_is_help=True,
    add_completion=False,
)

DURATION = re.compile(r"^\s*(\d+)\s*([mhdw])\s*$")
UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_since(value: str):
    """``30m``, ``24h``, ``7d``, ``2w`` or an ISO date/time → an aware UTC datetime."""
    import datetime as dt

    from omc.db import as_utc, utcnow

    match = DURATION.match(value)
    if match:
        return utcnow() - dt.timedelta(**{UNITS[match.group(2)]: int(match.group(1))})
    try:
        return as_utc(dt.datetime.fromisoformat(value))
    except ValueError:
        raise UsageProblem(
            f"invalid --since {value!r}: use a duration like 24h, 7d, 2w or an ISO date"
        ) from None


def _bar_progress():
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=stdout()
    )


@app.command("latest")
def latest(
    ctx: typer.Context,
    coins: Annotated[list[str] | None, typer.Argument(help="Coins to show (default: all).")] = None,
    quote: str = typer.Option("AUD", "--quote", help="Market currency."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the latest price of each coin and how old it is (hot cache, else the database).

    Examples:

        omc data latest

        omc data latest BTC ETH --json
    """
    from rich.table import Table

    from omc.cache import open_cache
    from omc.db import utcnow
    from omc.ledgers.exchange.latest import latest_prices

    rt = runtime(ctx)
    rows = latest_prices(
        open_cache(rt.settings.redis_url), rt.engine(), coins, quote=quote, now=utcnow()
    )
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print("no prices yet: run `omc collect run` or `omc data import`")
        return
    table = Table(title=f"latest prices ({quote.upper()})")
    for name in ("coin", "bid", "ask", "last", "age", "from"):
        table.add_column(name, justify="right" if name in ("bid", "ask", "last", "age") else "left")
    for row in rows:
        table.add_row(
            row["coin_type"],
            *(f"{row[k]:,.8g}" if row[k] is not None else "-" for k in ("bid", "ask", "last")),
            f"{row['age_seconds']:.0f}s",
            row["from"],
        )
    print_table(table)


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV file (optionally .gz) of OHLCV bars.")],
    coin: str = typer.Option(..., "--coin", help="The coin the file holds, e.g. BTC."),
    quote: str = typer.Option("USDT", "--quote", help="The quote currency of the prices."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Import a price file: Binance klines, ccxt, CryptoDataDownload or Bybit layouts.

    Bars finer than 5 minutes are aggregated; re-importing a file changes nothing.

    Examples:

        omc data import BTCUSDT-1h-2022-01.csv --coin BTC

        omc data import eth_5m.csv.gz --coin ETH --quote USDT --json
    """
    from dataclasses import asdict

    from omc.ledgers.history.importer import import_file

    if not file.is_file():  # before the database is opened or a progress bar drawn
        raise NotFound(f"no such file: {file}")
    engine = runtime(ctx).engine()
    if json_output:
        result = import_file(engine, file, coin=coin, quote=quote)
        print_json(asdict(result))
        return
    with _bar_progress() as progress:
        task = progress.add_task(f"importing {file.name}", total=None)
        result = import_file(
            engine,
            file,
            coin=coin,
            quote=quote,
            progress=lambda done, total: progress.update(task, completed=done, total=total),
        )
    rows: list[tuple[str, Any]] = [
        ("layout", result.layout),
        ("rows read", result.rows_read),
        ("duplicates dropped", result.duplicates_dropped),
        ("bad prints dropped", len(result.bad_prints_dropped)),
        ("bar length", f"{result.bar_seconds}s"),
        ("bars", result.bars),
        ("inserted", result.inserted),
        ("updated", result.updated),
        ("from", result.first),
        ("to", result.last),
    ]
    print_table(key_value_table(rows, title=f"{result.coin}/{result.quote} from {file.name}"))


@app.command("backfill")
def backfill(
    ctx: typer.Context,
    coin: str = typer.Argument(..., help="The coin, e.g. BTC."),
    days: int = typer.Option(..., "--days", min=1, max=3650, help="How many days back."),
    source: str = typer.Option("binance", "--source", help="coingecko or binance."),
    quote: str | None = typer.Option(
        None, "--quote", help="Quote currency (default USDT on Binance, USD on CoinGecko)."
    ),
    coingecko_id: str | None = typer.Option(None, "--coingecko-id", help="e.g. bitcoin."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Fetch price history from CoinGecko or Binance and store it (idempotent).

    Examples:

        omc data backfill BTC --days 30 --source binance

        omc data backfill ETH --days 90 --source coingecko --quote AUD
    """
    from dataclasses import asdict

    from omc.ledgers.history.backfill import backfill_binance, backfill_coingecko
    from omc.ledgers.service import collect_context

    if source not in ("coingecko", "binance"):
        raise UsageProblem(f"unknown --source {source!r}: use coingecko or binance")
    rt = runtime(ctx)
    engine = rt.engine()
    context = collect_context(rt)
    if source == "binance":
        result = backfill_binance(engine, context, coin, days, quote=quote or "USDT")
    else:
        result = backfill_coingecko(
            engine, context, coin, days, quote=quote or "USD", coingecko_id=coingecko_id
        )
    if json_output:
        print_json(asdict(result))
        return
    stdout().print(
        key_value_table(
            [(name, value) for name, value in asdict(result).items()],
            title=f"backfill {result.coin}/{result.quote} from {result.source}",
        )
    )


@app.command("stats")
def stats(
    ctx: typer.Context,
    coin: str | None = typer.Argument(None, help="Only this coin."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show how much data each ledger holds and the dates it covers.

    Examples:

        omc data stats

        omc data stats BTC --json
    """
    from rich.table import Table

    from omc.ledgers.tools import get_data_statistics

    with runtime(ctx).session() as session:
        report = get_data_statistics(session, coin)
    if json_output:
        print_json(report)
        return
    table = Table(title="ledger coverage")
    for name in ("table", "market", "rows", "first", "last"):
        table.add_column(name, justify="right" if name == "rows" else "left")
    for market in report["price_data_5min"]["markets"]:
        table.add_row(
            "price_data_5min",
            f"{market['coin_type']}/{market['quote']}",
            str(market["rows"]),
            market["first"],
            market["last"],
        )
    for name, part in report.items():
        if name != "price_data_5min":
            table.add_row(name, "", str(part["rows"]), part["first"] or "-", part["last"] or "-")
    print_table(table)


@app.command("prices")
def prices(
    ctx: typer.Context,
    coin: str = typer.Argument(..., help="The coin, e.g. BTC."),
    since: str = typer.Option("24h", "--since", help="A duration (24h, 7d) or an ISO date."),
    quote: str | None = typer.Option(None, "--quote", help="Only this market (AUD, USDT, …)."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    csv_output: bool = typer.Option(False, "--csv", help="Print CSV (for spreadsheets)."),
) -> None:
    """Show the 5-minute bars of one coin since a time.

    Examples:

        omc data prices BTC --since 7d

        omc data prices ETH --since 2024-12-01 --quote USDT --csv > eth.csv
    """
    import csv
    import sys

    from rich.table import Table

    from omc.ledgers.tools import fetch_price_data

    start = parse_since(since)
    with runtime(ctx).session() as session:
        rows = fetch_price_data(session, coin, start, quote=quote)
    if json_output:
        print_json(rows)
        return
    columns = ["timestamp", "coin_type", "quote", "bid", "ask", "last"]
    if csv_output:
        writer = csv.DictWriter(sys.stdout, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return
    table = Table(title=f"{coin.upper()} since {start.isoformat()}")
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*("" if row[name] is None else str(row[name]) for name in columns))
    print_table(table)
    stdout().print(f"{len(rows)} bars")


def _print_rows(rows: list[dict[str, Any]], columns: list[str], title: str, noun: str) -> None:
    from rich.table import Table

    table = Table(title=title)
    for name in columns:
        table.add_column(name)
    for row in rows:
        table.add_row(*(_cell(row.get(name)) for name in columns))
    print_table(table, wrap=("title",))
    stdout().print(f"{len(rows)} {noun}")


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(part) for part in value)
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


@app.command("news")
def news(
    ctx: typer.Context,
    coin: str | None = typer.Option(None, "--coin", help="Only news mentioning this coin."),
    since: str = typer.Option("1d", "--since", help="A duration (24h, 7d) or an ISO date."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show news items with their sentiment, newest last.

    Examples:

        omc data news --since 1d

        omc data news --coin BTC --since 7d --json
    """
    from omc.ledgers.tools import fetch_sentiment_data

    start = parse_since(since)
    with runtime(ctx).session() as session:
        rows = fetch_sentiment_data(session, start, currencies=[coin] if coin else None)
    items = rows["news_sentiment"]
    if json_output:
        print_json(items)
        return
    columns = ["published_at", "source", "sentiment", "sentiment_score", "currencies", "title"]
    _print_rows(items, columns, f"news since {start.isoformat()}", "items")


@app.command("events")
def events(
    ctx: typer.Context,
    event_type: str | None = typer.Option(
        None, "--type", help="Only this event type: listing, sec_filing, …"
    ),
    since: str = typer.Option("7d", "--since", help="A duration (24h, 7d) or an ISO date."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show catalyst events (SEC filings, exchange listings) with their impact.

    Examples:

        omc data events --since 7d

        omc data events --type listing --json
    """
    from omc.ledgers.tools import fetch_catalyst_events

    start = parse_since(since)
    with runtime(ctx).session() as session:
        rows = fetch_catalyst_events(
            session, start, event_types=[event_type] if event_type else None
        )
    if json_output:
        print_json(rows)
        return
    columns = ["published_at", "event_type", "impact_score", "currencies", "source", "title"]
    _print_rows(rows, columns, f"events since {start.isoformat()}", "events")


@app.command("onchain")
def onchain(
    ctx: typer.Context,
    asset: str = typer.Argument(..., help="The coin, e.g. BTC or ETH."),
    since: str = typer.Option("1d", "--since", help="A duration (24h, 7d) or an ISO date."),
    metric: Annotated[
        list[str] | None, typer.Option("--metric", help="Only this metric (repeatable).")
    ] = None,
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show on-chain metrics of one asset (hash rate, gas price, chain TVL, …).

    Examples:

        omc data onchain BTC

        omc data onchain ETH --metric gas_price_gwei --since 7d --json
    """
    from omc.ledgers.tools import fetch_on_chain_metrics

    start = parse_since(since)
    with runtime(ctx).session() as session:
        rows = fetch_on_chain_metrics(session, asset, start, metric_names=metric or None)
    if json_output:
        print_json(rows)
        return
    columns = ["timestamp", "metric_name", "metric_value", "source"]
    _print_rows(rows, columns, f"{asset.upper()} on-chain since {start.isoformat()}", "values")
