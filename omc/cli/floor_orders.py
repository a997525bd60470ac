"""``omc floor balance|orders|trades|positions|pnl|buy|sell|reconcile``, ``omc floor paper
reset`` and ``omc floor keys test``: trading by hand and seeing what the brokers recorded.

Each command takes ``--paper`` (the default) or ``--live``, ``--account NAME`` and ``--json``.
Registered on the ``omc floor`` group by :func:`register`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import typer
from rich.table import Table

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, print_table, stdout
from omc.errors import EX_TEMPFAIL, EX_UNAVAILABLE, UsageProblem

LIVE_HELP = "Live CoinSpot account (--live) or the paper account (--paper, the default)."
ACCOUNT_HELP = "The named account (several paper accounts can trade side by side)."


def _live_option() -> Any:
    return typer.Option(False, "--live/--paper", help=LIVE_HELP)


def _account_option() -> Any:
    return typer.Option("default", "--account", metavar="NAME", help=ACCOUNT_HELP)


def _json_option() -> Any:
    return typer.Option(False, "--json", help=JSON_HELP)


def _aud(value: Any) -> str:
    return "—" if value is None else f"{Decimal(value):,.2f}"


def _num(value: Any) -> str:
    if value is None:
        return "—"
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else "—"


def balance(
    ctx: typer.Context,
    live: bool = _live_option(),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Cash and coins of an account (live: as CoinSpot reports them, one signed read-only call).

    Examples:

        omc floor balance

        omc floor balance --live --json
    """
    from omc.floor import service

    rt = runtime(ctx)
    rows = service.balances(rt, service.account(rt, live, account))
    if json_output:
        print_json(rows)
        return
    table = Table(title=f"{'live' if live else 'paper'} account {account}")
    for header in ("currency", "balance", "available", "value AUD", "bid"):
        table.add_column(header, justify="left" if header == "currency" else "right")
    for row in rows:
        amount = _aud if row["currency"] == "AUD" else _num
        table.add_row(
            row["currency"],
            amount(row["total"]),
            amount(row["available"]),
            _aud(row["aud_value"]),
            _aud(row["rate"]) if row["currency"] != "AUD" else "",
        )
    print_table(table)


def orders(
    ctx: typer.Context,
    live: bool = _live_option(),
    account: str = _account_option(),
    status: str | None = typer.Option(
        None, "--status", help="Only orders in this state (filled, rejected, unknown, …)."
    ),
    limit: int = typer.Option(50, "--limit", min=1, help="How many of the newest orders."),
    json_output: bool = _json_option(),
) -> None:
    """The account's orders, newest first, and why trading is stopped if it is.

    An `unknown` order (its answer was lost: a timeout, a crash) stops the account trading
    until `omc floor reconcile` settles it; it is never sent again.

    Examples:

        omc floor orders

        omc floor orders --live --status unknown
    """
    from omc.floor import service

    rt = runtime(ctx)
    report = service.list_orders(rt, service.account(rt, live, account), status=status, limit=limit)
    if json_output:
        print_json(report)
        return
    if report["blocked"]:
        stdout().print(f"[bold red]{report['blocked']}[/]")
    if not report["orders"]:
        stdout().print("no orders yet")
        return
    table = Table()
    for header in ("created (UTC)", "side", "coin", "status", "amount", "filled", "price", "fee"):
        table.add_column(header)
    table.add_column("client order id")
    table.add_column("reason")
    for row in report["orders"]:
        asked = (
            f"{_aud(row['aud_amount'])} AUD" if row["aud_amount"] is not None
            else _num(row["quantity"])
        )  # fmt: skip
        table.add_row(
            _when(row["created_at"]),
            row["side"],
            row["coin"],
            row["status"],
            asked,
            _num(row["filled_quantity"]),
            _aud(row["price"]),
            _aud(row["fee"]),
            row["client_order_id"],
            row["reason"] or "",
        )
    print_table(table, wrap=("reason",))


def trades(
    ctx: typer.Context,
    live: bool = _live_option(),
    account: str = _account_option(),
    since: str | None = typer.Option(None, "--since", help="Only fills since: 30d, 12h, a date."),
    json_output: bool = _json_option(),
) -> None:
    """The account's fills with their fees (live: CoinSpot's audfeeExGst + audGst).

    Examples:

        omc floor trades --since 7d

        omc floor trades --live --json
    """
    from omc.db import utcnow
    from omc.floor import service

    rt = runtime(ctx)
    rows = service.list_trades(
        rt, service.account(rt, live, account), since=service.parse_since(since, now=utcnow())
    )
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print("no trades yet")
        return
    table = Table()
    for header in (
        "executed (UTC)",
        "side",
        "coin",
        "quantity",
        "price",
        "value",
        "fee",
        "fee from",
    ):
        table.add_column(header)
    for row in rows:
        table.add_row(
            _when(row["executed_at"]),
            row["side"],
            row["coin"],
            _num(row["quantity"]),
            _aud(row["price"]),
            _aud(row["value"]),
            _aud(row["fee"]),
            row["fee_source"],
        )
    print_table(table)


def positions(
    ctx: typer.Context,
    live: bool = _live_option(),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Holdings with their FIFO cost (fees included) at the current bid, and cash.

    Live positions also show any difference CoinSpot's balances reported at the last
    reconcile (a deposit, a trade on the website): recorded and shown, never absorbed.

    Examples:

        omc floor positions

        omc floor positions --live
    """
    from omc.floor import service

    rt = runtime(ctx)
    report = service.positions(rt, service.account(rt, live, account))
    if json_output:
        print_json(report)
        return
    table = Table(title=f"cash {_aud(report['cash'])} AUD, equity {_aud(report['equity'])} AUD")
    for header in ("coin", "quantity", "cost", "bid", "value", "unrealised", "realised"):
        table.add_column(header)
    for row in report["positions"]:
        table.add_row(
            row["coin"],
            _num(row["quantity"]),
            _aud(row["cost"]),
            _aud(row["bid"]),
            _aud(row["value"]),
            _aud(row["unrealized"]),
            _aud(row["realized"]),
        )
    print_table(table)
    for difference in report["balance_differences"]:
        stdout().print(
            f"[yellow]{difference['coin']}: CoinSpot reported {_num(difference['reported'])}, "
            f"omc's fills add up to {_num(difference['recorded'])} "
            f"(difference {_num(difference['difference'])}, "
            f"seen {_when(difference['detected_at'])} UTC)[/]"
        )


def pnl(
    ctx: typer.Context,
    live: bool = _live_option(),
    account: str = _account_option(),
    since: str | None = typer.Option(
        None, "--since", help="Realised P&L and fees from then on: 30d, 12h, a date."
    ),
    json_output: bool = _json_option(),
) -> None:
    """Profit and loss: realised (FIFO lots), unrealised at the bid, fees, and equity with cash.

    Examples:

        omc floor pnl

        omc floor pnl --since 30d --json
    """
    from omc.db import utcnow
    from omc.floor import service

    rt = runtime(ctx)
    report = service.pnl_report(
        rt, service.account(rt, live, account), since=service.parse_since(since, now=utcnow())
    )
    if json_output:
        print_json(report)
        return
    from omc.cli.output import key_value_table

    rows = [
        ("account", f"{report['mode']} {report['account']}"),
        ("since", report["since"] or "the account's start"),
        ("realised", _aud(report["realized"])),
        ("unrealised", _aud(report["unrealized"])),
        ("fees", _aud(report["fees"])),
        ("cash", _aud(report["cash"])),
        ("coins at bid", _aud(report["holdings_value"])),
        ("equity", _aud(report["equity"])),
        ("total (equity − starting cash)", _aud(report["total"])),
    ]
    stdout().print(key_value_table(rows))
    if report["unpriced"]:
        stdout().print(f"no current price for {', '.join(report['unpriced'])}: valued at 0")


def _confirm_live(side: str, amount: str, coin: str, aud: bool, yes: bool) -> None:
    if yes:
        return
    what = f"{side} {amount} AUD of {coin.upper()}" if aud else f"{side} {amount} {coin.upper()}"
    try:
        answer = typer.prompt(f"This is a LIVE order on CoinSpot: {what}. Type yes to send it")
    except typer.Abort:
        raise UsageProblem("a live order needs a typed confirmation or --yes") from None
    if answer.strip().lower() != "yes":
        raise UsageProblem("not confirmed: no order was sent")


def _order(
    ctx: typer.Context,
    side: str,
    coin: str,
    amount: str,
    aud: bool,
    max_slippage: str | None,
    live: bool,
    yes: bool,
    account: str,
    json_output: bool,
) -> None:
    from omc.floor import service

    rt = runtime(ctx)
    value = service.parse_amount(amount)
    slippage = (
        service.parse_slippage(max_slippage)
        if max_slippage is not None
        else rt.settings.floor.default_max_slippage
    )
    if live:
        _confirm_live(side, amount, coin, aud, yes)
    result = service.place_order(
        rt, service.account(rt, live, account), side, coin, value, aud=aud, max_slippage=slippage
    )
    if json_output:
        print_json(result)
    elif result["status"] == "filled":
        stdout().print(
            f"filled: {result['side']} {_num(result['filled_quantity'])} {result['coin']} at "
            f"{_aud(result['price'])} AUD, fee {_aud(result['fee'])} AUD "
            f"({result['mode']} {result['account']}, {result['client_order_id']})"
        )
    else:
        stdout().print(
            f"{result['status']}: {result['side']} {result['coin']} "
            f"({result['client_order_id']}): {result['reason']}"
        )
    if result["status"] == "unknown":
        raise typer.Exit(EX_TEMPFAIL)
    if result["status"] == "rejected":
        raise typer.Exit(EX_UNAVAILABLE)


AMOUNT_HELP = "How much: coins, or AUD with --aud."
AUD_HELP = "AMOUNT is in AUD (a buy spends it, fee included)."
SLIPPAGE_HELP = (
    "Refuse to fill further than this from the quote: 1% (default floor.default_max_slippage)."
)
YES_HELP = "Send a live order without the typed confirmation."


def buy(
    ctx: typer.Context,
    coin: str = typer.Argument(..., help="The coin, e.g. BTC."),
    amount: str = typer.Argument(..., help=AMOUNT_HELP),
    aud: bool = typer.Option(False, "--aud", help=AUD_HELP),
    max_slippage: str | None = typer.Option(None, "--max-slippage", help=SLIPPAGE_HELP),
    live: bool = _live_option(),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Buy at market, by hand (paper unless --live; live asks you to type yes).

    Examples:

        omc floor buy BTC 0.01

        omc floor buy ETH 250 --aud --max-slippage 0.5%

        omc floor buy BTC 0.001 --live
    """
    _order(ctx, "buy", coin, amount, aud, max_slippage, live, yes, account, json_output)


def sell(
    ctx: typer.Context,
    coin: str = typer.Argument(..., help="The coin, e.g. BTC."),
    amount: str = typer.Argument(..., help=AMOUNT_HELP),
    aud: bool = typer.Option(False, "--aud", help="AMOUNT is the AUD value to sell."),
    max_slippage: str | None = typer.Option(None, "--max-slippage", help=SLIPPAGE_HELP),
    live: bool = _live_option(),
    yes: bool = typer.Option(False, "--yes", help=YES_HELP),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Sell at market, by hand (paper unless --live; live asks you to type yes).

    Examples:

        omc floor sell BTC 0.005

        omc floor sell ETH 100 --aud --live --yes
    """
    _order(ctx, "sell", coin, amount, aud, max_slippage, live, yes, account, json_output)


def reconcile(
    ctx: typer.Context,
    live: bool = typer.Option(True, "--live/--paper", help="The live account (the default here)."),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Settle unknown orders now from CoinSpot's order history, and compare balances.

    Each unknown order is matched by coin, side, amount and time: found means filled (with
    CoinSpot's fill and fee), not found once its window has passed means not placed. Nothing
    is ever sent again. Balance differences (deposits, website trades) are recorded and shown.

    Examples:

        omc floor reconcile

        omc floor reconcile --json
    """
    from omc.floor import service

    rt = runtime(ctx)
    report = service.reconcile(rt, service.account(rt, live, account))
    if json_output:
        print_json(report)
        return
    if not report["orders"] and not report["balances"]:
        stdout().print("nothing to settle: no unknown orders, balances agree")
        return
    for outcome in report["orders"]:
        stdout().print(
            f"{outcome['client_order_id']}: {outcome['side']} {outcome['coin']} is "
            f"{outcome['status']} ({outcome['note']})"
        )
    for difference in report["balances"]:
        stdout().print(
            f"{difference['coin']}: CoinSpot reports {_num(difference['reported'])}, omc's fills "
            f"add up to {_num(difference['recorded'])}"
            + (" (recorded)" if difference["new"] else " (recorded before)")
        )


def paper_reset(
    ctx: typer.Context,
    cash: str = typer.Option(..., "--cash", help="The starting AUD balance."),
    account: str = _account_option(),
    json_output: bool = _json_option(),
) -> None:
    """Start a paper account afresh with a stated balance and no coins (history is kept).

    Examples:

        omc floor paper reset --cash 10000

        omc floor paper reset --cash 500 --account small
    """
    from omc.floor import service

    rt = runtime(ctx)
    result = service.reset_paper(rt, account, service.parse_amount(cash))
    if json_output:
        print_json(result)
        return
    stdout().print(f"paper account {account} reset: {_aud(result['cash'])} AUD, no coins")


def keys_test(ctx: typer.Context, json_output: bool = _json_option()) -> None:
    """Check your stored CoinSpot key with one signed call that changes nothing.

    Says whether the key works and whether it is read-only or has full access (trading).

    Examples:

        omc floor keys test
    """
    from omc.floor import service

    result = service.check_keys(runtime(ctx))
    if json_output:
        print_json(result)
        return
    stdout().print(f"CoinSpot key {result['key']} works: {result['access']}")


def register(app: typer.Typer, keys: typer.Typer) -> None:
    """Add these commands to ``omc floor`` and ``omc floor keys``."""
    for name, command in (
        ("balance", balance),
        ("orders", orders),
        ("trades", trades),
        ("positions", positions),
        ("pnl", pnl),
        ("buy", buy),
        ("sell", sell),
        ("reconcile", reconcile),
    ):
        app.command(name)(command)
    paper = typer.Typer(help="Paper accounts: start one afresh.", no_args_is_help=True)
    paper.command("reset")(paper_reset)
    app.add_typer(paper, name="paper")
    keys.command("test")(keys_test)
