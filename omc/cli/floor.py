"""``omc floor``: the trading floor: ``omc floor keys`` (CoinSpot credentials) here; trading by
hand and what the brokers recorded in :mod:`omc.cli.floor_orders`; deployments and the kill
switch in :mod:`omc.cli.floor_deploy`; replay and report in :mod:`omc.cli.floor_replay`."""

from __future__ import annotations

import typer

from omc.cli import floor_deploy, floor_orders, floor_replay
from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stdout
from omc.cli.secrets_input import read_secret

app = typer.Typer(
    help=(
        "The trading floor: promote strategies to paper or live trading, watch them and stop "
        "them (`omc floor kill`); your CoinSpot API keys, orders by hand, balances, positions "
        "and P&L."
    ),
    no_args_is_help=True,
)
keys = typer.Typer(
    help="Store, show (masked) and remove your CoinSpot API key and secret.", no_args_is_help=True
)
app.add_typer(keys, name="keys")
floor_deploy.register(app)
app.command("replay")(floor_replay.replay)
app.command("report")(floor_replay.report)


@keys.command("set")
def keys_set(
    ctx: typer.Context,
    from_stdin: bool = typer.Option(
        False, "--stdin", help="Read the key, then the secret, one per line from standard input."
    ),
) -> None:
    """Store your CoinSpot API key and secret, encrypted (replacing any stored ones).

    Both are read from hidden prompts or, with --stdin, as two lines of standard input; never
    from the command line. They are checked when the trading floor first uses them.

    Examples:

        omc floor keys set

        printf '%s\\n%s\\n' "$KEY" "$SECRET" | omc floor keys set --stdin
    """
    api_key = read_secret("CoinSpot API key", from_stdin=from_stdin, env_var=None)
    api_secret = read_secret("CoinSpot API secret", from_stdin=from_stdin, env_var=None)
    from omc.floor.credentials import set_coinspot

    rt = runtime(ctx)
    user_id = rt.user_id()
    with rt.session() as session:
        shown = set_coinspot(session, rt.vault, user_id, api_key or "", api_secret or "")
    stdout().print(f"stored: CoinSpot key {shown['key']} and its secret, encrypted")


@keys.command("show")
def keys_show(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Show your stored CoinSpot API key, masked (the secret is never shown).

    Examples:

        omc floor keys show
    """
    from omc.floor.credentials import show_coinspot

    rt = runtime(ctx)
    user_id = rt.user_id()
    with rt.session() as session:
        shown = show_coinspot(session, user_id)
    if json_output:
        print_json(shown)
        return
    stdout().print(
        f"CoinSpot key {shown['key']}, secret stored; set {shown['updated']:%Y-%m-%d %H:%M} UTC"
    )


@keys.command("remove")
def keys_remove(ctx: typer.Context) -> None:
    """Erase your stored CoinSpot API key and secret.

    Examples:

        omc floor keys remove
    """
    from omc.floor.credentials import remove_coinspot

    rt = runtime(ctx)
    user_id = rt.user_id()
    with rt.session() as session:
        remove_coinspot(session, user_id)
    stdout().print("removed: CoinSpot key and secret erased")


floor_orders.register(app, keys)
