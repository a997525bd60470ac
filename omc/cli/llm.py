"""``omc llm``: bring your own model: store, test and choose LLM provider keys; see usage."""

from __future__ import annotations

from typing import Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, print_table, stdout
from omc.cli.secrets_input import ENV_HELP, STDIN_HELP, read_secret

app = typer.Typer(
    help="Bring your own model: store, test and choose your LLM provider keys; see usage.",
    no_args_is_help=True,
)

PROVIDER_HELP = "google, openai, anthropic, or openai-compatible (Ollama, vLLM, LM Studio…)."


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


@app.command("add")
def add(
    ctx: typer.Context,
    provider: str = typer.Option(..., "--provider", help=PROVIDER_HELP),
    model: str = typer.Option(..., "--model", help="Model name, e.g. gemini-2.5-flash."),
    default: bool = typer.Option(False, "--default", help="Make this your default model."),
    api_key_stdin: bool = typer.Option(False, "--api-key-stdin", help=STDIN_HELP),
    api_key_env: str | None = typer.Option(None, "--api-key-env", metavar="VAR", help=ENV_HELP),
    base_url: str | None = typer.Option(
        None, "--base-url", help="Server URL (required for openai-compatible; optional proxy)."
    ),
    no_validate: bool = typer.Option(
        False, "--no-validate", help="Store without sending a test request."
    ),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Store an LLM API key, encrypted, after checking it with one tiny request.

    The key is read from a hidden prompt, standard input or a named environment variable;
    never from the command line. A key that fails the check is not stored. At most 10 checks
    per hour.

    Examples:

        omc llm add --provider google --model gemini-2.5-flash --default

        pass show gemini | omc llm add --provider google --model gemini-2.5-pro --api-key-stdin

        omc llm add --provider openai --model gpt-4o-mini --api-key-env OPENAI_API_KEY

        omc llm add --provider openai-compatible --model llama3.1 --base-url http://127.0.0.1:11434/v1
    """
    from omc.llm.providers import provider as lookup

    spec = lookup(provider)
    api_key = read_secret(
        "API key", from_stdin=api_key_stdin, env_var=api_key_env, required=spec.key_required
    )
    from omc.llm.service import add_credential

    rt = runtime(ctx)
    row = add_credential(
        rt.engine(),
        rt.vault,
        rt.settings,
        rt.user_id(),
        provider,
        model,
        api_key,
        base_url=base_url,
        make_default=default,
        validate=not no_validate,
    )
    if json_output:
        print_json(row)
        return
    checked = "stored without a check" if no_validate else "checked and stored"
    default_note = " (default)" if row["default"] else ""
    stdout().print(
        f"{checked}: {row['id']} {row['provider']} {row['model']} key {row['key']}{default_note}"
    )


@app.command("list")
def list_(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """List your LLM credentials: id, provider, model, masked key, default, last used.

    Examples:

        omc llm list

        omc llm list --json | jq '.[] | select(.default)'
    """
    from rich.table import Table

    from omc.llm.service import list_credentials

    rt = runtime(ctx)
    rows = list_credentials(rt.engine(), rt.user_id())
    if json_output:
        print_json(rows)
        return
    if not rows:
        stdout().print("no LLM credentials; add one with `omc llm add`")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "PROVIDER", "MODEL", "KEY", "DEFAULT", "LAST USED"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["id"],
            row["provider"],
            row["model"],
            row["key"],
            "yes" if row["default"] else "",
            _when(row["last_used"]),
        )
    print_table(table)


@app.command("default")
def default(
    ctx: typer.Context, credential: str = typer.Argument(..., metavar="ID", help="Credential ID.")
) -> None:
    """Make credential ID your default model.

    Examples:

        omc llm default 3f2a9c1e
    """
    from omc.llm.credentials import set_default

    rt = runtime(ctx)
    user_id = rt.user_id()
    with rt.session() as session:
        row = set_default(session, user_id, credential)
        stdout().print(f"default: {row.id.hex[:8]} {row.provider} {row.model_name}")


@app.command("test")
def check_key(
    ctx: typer.Context, credential: str = typer.Argument(..., metavar="ID", help="Credential ID.")
) -> None:
    """Check a stored credential with one tiny request (counts toward 10 checks per hour).

    Examples:

        omc llm test 3f2a9c1e
    """
    from omc.llm.service import check_credential

    rt = runtime(ctx)
    row = check_credential(rt.engine(), rt.vault, rt.settings, rt.user_id(), credential)
    stdout().print(f"ok: {row['id']} {row['provider']} {row['model']} answered")


@app.command("remove")
def remove(
    ctx: typer.Context,
    credential: str = typer.Argument(..., metavar="ID", help="Credential ID."),
    purge: bool = typer.Option(False, "--purge", help="Also erase the encrypted key for good."),
) -> None:
    """Remove a credential (kept for usage history); --purge also erases its encrypted key.

    Examples:

        omc llm remove 3f2a9c1e

        omc llm remove 3f2a9c1e --purge
    """
    from omc.llm.credentials import remove_credential

    rt = runtime(ctx)
    user_id = rt.user_id()
    with rt.session() as session:
        row = remove_credential(session, user_id, credential, purge=purge)
        how = "removed and purged" if purge else "removed"
        stdout().print(f"{how}: {row.id.hex[:8]} {row.provider} {row.model_name}")


@app.command("usage")
def usage(
    ctx: typer.Context,
    since: str = typer.Option("30d", "--since", help="A duration (30d, 12h, 2w) or a date."),
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show LLM calls, tokens and estimated cost (USD) by model and by session.

    Examples:

        omc llm usage

        omc llm usage --since 7d --json
    """
    from rich.table import Table

    from omc.db import utcnow
    from omc.llm.usage import parse_since, usage_report

    rt = runtime(ctx)
    start = parse_since(since, utcnow())
    user_id = rt.user_id()
    with rt.session() as session:
        report = usage_report(session, user_id, start)
    if json_output:
        print_json(report)
        return
    console = stdout()
    console.print(f"LLM usage since {_when(start)}: estimated ${report['total_cost_usd']:.4f}")
    for title, key, label in (
        ("by model", "by_model", lambda r: f"{r['provider']} {r['model_name']}"),
        ("by session", "by_session", lambda r: str(r["session_id"] or "(no session)")),
    ):
        table = Table(title=title, box=None, pad_edge=False, title_justify="left")
        for column in ("", "CALLS", "INPUT", "OUTPUT", "COST USD"):
            table.add_column(column)
        for row in report[key]:
            table.add_row(
                label(row),
                str(row["calls"]),
                str(row["input_tokens"]),
                str(row["output_tokens"]),
                f"{row['cost_usd']:.4f}",
            )
        print_table(table, console=console)
