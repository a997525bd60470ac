"""``omc vault``: the master key that encrypts stored secrets: its status and rotation."""

from __future__ import annotations

from typing import Any

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, key_value_table, print_json, print_table, stdout
from omc.errors import EX_NOPERM

app = typer.Typer(
    help="The master key that encrypts stored API keys: status and rotation.",
    no_args_is_help=True,
)


def _render_status(report: dict[str, Any]) -> None:
    by_version = ", ".join(
        f"{name}: {count}" for name, count in report["secrets_by_version"].items()
    )
    version = report["key_version"]
    rows: list[tuple[str, Any]] = [
        ("key source", report["source"] or "none yet (created when the first secret is stored)"),
        ("key file", report["key_file"]),
        ("key version", f"v{version}" if version else "-"),
        ("key id", report["key_id"] or "-"),
        ("secrets", f"{report['secrets']}" + (f" ({by_version})" if by_version else "")),
    ]
    console = stdout()
    print_table(key_value_table(rows, title="omc vault"), console=console)
    for problem in report["problems"]:
        console.print(f"! {problem}")


@app.command("status")
def status(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Show where the master key comes from, its version, how many secrets it protects, and
    any problem (unsafe permissions, secrets the current key cannot read).

    Exits 77 when there is a problem.

    Examples:

        omc vault status

        omc vault status --json | jq .secrets
    """
    from omc.vault import vault_status

    rt = runtime(ctx)
    with rt.session() as session:
        report = vault_status(session, rt.vault)
    if json_output:
        print_json(report)
    else:
        _render_status(report)
    if not report["healthy"]:
        raise typer.Exit(EX_NOPERM)


@app.command("rotate")
def rotate(ctx: typer.Context) -> None:
    """Create a new master key and re-encrypt every stored secret with it, in one transaction.

    The old key is retired only after every secret was re-encrypted; an interrupted rotation
    leaves every secret readable (run it again to finish). When the key comes from
    OMC_MASTER_KEY or a systemd credential, put the new key first (NEW,OLD), rotate, then
    remove OLD.

    Examples:

        omc vault rotate

        OMC_MASTER_KEY="$NEW_KEY,$OLD_KEY" omc vault rotate
    """
    from omc.vault import rotate as rotate_keys

    rt = runtime(ctx)
    result = rotate_keys(rt.engine(), rt.vault)
    console = stdout()
    console.print(
        f"rotated: {result.secrets} secret(s) re-encrypted with master key v{result.version} "
        f"({result.key_id}); {len(result.retired)} old key(s) retired"
    )
    if result.source_still_holds_old_keys:
        console.print(f"now remove the old key(s) from the {result.source}")
