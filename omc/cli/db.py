"""``omc db``: schema migrations."""

from __future__ import annotations

import typer

from omc.cli.context import runtime
from omc.cli.output import JSON_HELP, print_json, stdout
from omc.errors import UsageProblem

app = typer.Typer(
    help="Migrate the database schema (upgrade, current, downgrade).", no_args_is_help=True
)


@app.command("upgrade")
def upgrade(
    ctx: typer.Context,
    revision: str = typer.Argument("head", help="Target revision (default: head)."),
) -> None:
    """Upgrade the schema to REVISION (default: the newest).

    Examples:

        omc db upgrade

        OMC_DATABASE_URL=postgresql+psycopg://omc@db.local/omc omc db upgrade
    """
    from omc import schema

    engine = runtime(ctx).engine(check_schema=False)
    before = schema.current_revision(engine)
    schema.upgrade(engine, revision)
    after = schema.current_revision(engine)
    if before == after:
        stdout().print(f"schema already at {after}")
    else:
        stdout().print(f"schema upgraded: {before or 'empty'} -> {after}")


@app.command("current")
def current(
    ctx: typer.Context, json_output: bool = typer.Option(False, "--json", help=JSON_HELP)
) -> None:
    """Show the schema revision of the database and the newest one omc knows.

    Exits 75 when the database is not at the newest revision.

    Examples:

        omc db current

        omc db current --json
    """
    from omc import schema

    state = schema.schema_state(runtime(ctx).engine(check_schema=False))
    if json_output:
        print_json(state)
    else:
        mark = "at head" if state["at_head"] else "behind head: run `omc db upgrade`"
        stdout().print(f"current: {state['current'] or 'empty'}  head: {state['head']}  ({mark})")
    if not state["at_head"]:
        raise typer.Exit(75)


@app.command("downgrade")
def downgrade(
    ctx: typer.Context,
    revision: str = typer.Argument(..., help="Target revision, e.g. base or -1."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
) -> None:
    """Downgrade the schema to REVISION. Tables added after it are dropped with their data.

    Examples:

        omc db downgrade -1 --yes

        omc db downgrade base
    """
    from omc import schema

    engine = runtime(ctx).engine(check_schema=False)
    if not yes and not typer.confirm(
        f"Downgrade to {revision}? Tables newer than it are dropped with their data."
    ):
        raise UsageProblem("downgrade cancelled")
    before = schema.current_revision(engine)
    schema.downgrade(engine, revision)
    stdout().print(
        f"schema downgraded: {before or 'empty'} -> {schema.current_revision(engine) or 'empty'}"
    )
