"""``omc collect keys``: the collectors' API keys, stored encrypted in the vault."""

from __future__ import annotations

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, print_table, stderr, stdout
from omc.cli.secrets_input import read_secret

app = typer.Typer(
    help=(
        "Store, list (masked) and remove the collectors' API keys (Nansen, CryptoPanic, Reddit, "
        "CoinGecko), encrypted in the vault. They belong to the installation, not to one user: "
        "the collector uses them for everyone. An explicitly set setting "
        "(OMC_GLASS__NANSEN_API_KEY) wins over the vault."
    ),
    no_args_is_help=True,
)

NAME_HELP = "The setting's dotted name, e.g. glass.nansen_api_key (`omc collect keys list`)."


@app.command("set")
def keys_set(
    ctx: typer.Context,
    name: str = typer.Argument(..., help=NAME_HELP),
    from_stdin: bool = typer.Option(
        False, "--stdin", help="Read the value from standard input (e.g. a password manager)."
    ),
    env_var: str | None = typer.Option(
        None,
        "--env",
        metavar="VAR",
        help="Read the value from the environment variable VAR (its name, not the value).",
    ),
) -> None:
    """Store a collector key, encrypted (replacing a stored one).

    The value comes from a hidden prompt, standard input or a named environment variable;
    never from the command line. A running collector uses it from the source's next run; a
    source that was not configured starts after a reload (SIGHUP) or `omc collect restart`.

    Examples:

        omc collect keys set glass.nansen_api_key

        pass show nansen | omc collect keys set glass.nansen_api_key --stdin

        omc collect keys set human.cryptopanic_token --env CRYPTOPANIC_TOKEN
    """
    from omc.ledgers.credentials.store import check_name

    check_name(name)
    value = read_secret(name, from_stdin=from_stdin, env_var=env_var, options=("--stdin", "--env"))
    from omc.ledgers.credentials.store import set_credential

    rt = runtime(ctx)
    with rt.session() as session:
        shown = set_credential(session, rt.vault, rt.loaded, name, value or "")
    stdout().print(f"stored: {name} {shown['value']}, encrypted in the vault", markup=False)
    if shown["overridden_by"]:
        stderr().print(
            f"note: {name} is also set by {shown['overridden_by']}, which wins over the vault; "
            "remove it there to use the stored key",
            markup=False,
        )


@app.command("list")
def keys_list(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """List every collector key: its masked value, where it comes from and when it was stored.

    The source is "vault", the setting's origin (an environment variable or a config file,
    which wins over the vault) or "not set".

    Examples:

        omc collect keys list

        omc collect keys list --json | jq '.[] | select(.source == "not set") | .name'
    """
    from rich.table import Table

    from omc.ledgers.credentials.store import list_credentials

    rt = runtime(ctx)
    with rt.session() as session:
        rows = list_credentials(session, rt.loaded)
    if json_output:
        print_json(rows)
        return
    table = Table(title="collector keys")
    for column in ("name", "value", "source", "updated"):
        table.add_column(column)
    for row in rows:
        updated = row["updated_at"][:16].replace("T", " ") + " UTC" if row["updated_at"] else "-"
        table.add_row(row["name"], row["value"] or "-", row["source"], updated)
    print_table(table)


@app.command("remove")
def keys_remove(ctx: typer.Context, name: str = typer.Argument(..., help=NAME_HELP)) -> None:
    """Erase a collector key from the vault (a setting of the same name is left alone).

    Examples:

        omc collect keys remove glass.nansen_api_key
    """
    from omc.ledgers.credentials.store import remove_credential

    rt = runtime(ctx)
    with rt.session() as session:
        remove_credential(session, name)
    stdout().print(f"removed: {name} erased from the vault", markup=False)
